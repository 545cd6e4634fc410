"""Site files: one YAML or JSON file per site, validated by schemas/site.schema.json plus the rules a
schema cannot state (external_device_id and zone_number unique within the site).

Loading is bounded whatever the file holds: a file must resolve inside the project (checked before
it is opened, so a symlink to a secret is never read), at most ``MAX_FILE_BYTES`` are read, and the
YAML is parsed once, without aliases and at most ``MAX_DEPTH`` levels deep (see ``yaml_lines``).
Every bad file yields ``file:line: reason`` lines, never a traceback.
"""

from __future__ import annotations

import datetime
import os
import stat
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_chekt.contract import SchemaProblem, problems, schema, shown
from pulumi_chekt.contract.device_fields import (
    DEALER_ID,
    DEFAULTABLE_FIELDS,
    SITE_ID,
    UNIQUE_IN_SITE,
    ZONE_DEFINITIONS,
)
from pulumi_chekt.contract.normalize import normalize
from pulumi_chekt.site.problems import SiteProblem, SiteValidationError
from pulumi_chekt.site.yaml_lines import MAX_DEPTH, YamlLoadError, line_of, load_with_lines

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest site file read (4 MiB, some 20,000 devices); a larger file is refused before it is parsed."""

QUOTE_HINT = "quote it: a bare 001 is read as the number 1"


@dataclass(frozen=True)
class SiteSpec:
    """A validated site: its ids and its devices with defaults applied and values normalized."""

    dealer_id: int
    site_id: int
    devices: list[dict[str, Any]]
    source: str = "<inline>"
    line: int | None = None
    prune: bool = False
    """Delete the site's live devices that the file does not declare."""
    """The line of ``site_id`` in the file (for messages about two files declaring one site)."""

    @property
    def key(self) -> tuple[int, int]:
        return (self.dealer_id, self.site_id)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def project_root(start: Path) -> Path:
    """The folder holding Pulumi.yaml at or above ``start``, else ``start``: site globs are relative to
    it, and no site file may resolve outside it."""
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file() or (folder / "Pulumi.yml").is_file():
            return folder
    return start


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count % (1024 * 1024) == 0 else f"{count:,} bytes"


def _duplicates(devices: list[Any], field: str) -> Iterable[tuple[int, str, int]]:
    """(index, value, index of first occurrence) for each device repeating ``field``'s value. Blank and
    non-text values are skipped: the schema reports those, and one mistake gets one message."""
    first: dict[str, int] = {}
    for index, device in enumerate(devices):
        if not isinstance(device, Mapping) or not isinstance(device.get(field), str):
            continue
        value = device[field].strip()
        if not value:
            continue
        if value in first:
            yield index, value, first[value]
        else:
            first[value] = index


def cross_device_problems(
    data: Mapping[str, Any], lines: Mapping[str, int] | None = None
) -> list[tuple[str, str]]:
    """(pointer, reason) for every external_device_id or zone_number used twice in the site."""
    devices = data.get("devices")
    if not isinstance(devices, list):
        return []
    found = []
    for field in UNIQUE_IN_SITE:
        for index, value, earlier in _duplicates(devices, field):
            first_line = (lines or {}).get(f"/devices/{earlier}/{field}")
            at = f" (line {first_line})" if first_line else ""
            found.append(
                (
                    f"/devices/{index}/{field}",
                    f"{field} {shown(value)} is already used by /devices/{earlier}{at}",
                )
            )
    return found


def _site_message(problem: SchemaProblem, from_text: bool) -> str:
    """The schema's message plus what only a site file can add: the file's shape, defaults, YAML quoting."""
    if not problem.pointer and problem.keyword == "type":
        needed = ", ".join(schema("site")["required"])
        if problem.value is None:
            return f"the file is empty; a site file is a mapping with {needed}"
        kind = "a list" if isinstance(problem.value, list) else shown(problem.value)
        return f"a site file is a mapping with {needed}, not {kind}"
    parts = problem.pointer.split("/")
    in_device = len(parts) == 4 and parts[1] == "devices"
    if problem.keyword == "required" and in_device and problem.field in DEFAULTABLE_FIELDS:
        return f"{problem.message} (set it on the device or in defaults)"
    number = isinstance(problem.value, int | float) and not isinstance(problem.value, bool)
    if from_text and number and problem.definition in ZONE_DEFINITIONS:
        return f"{problem.message} ({QUOTE_HINT})"
    if from_text and isinstance(problem.value, datetime.date) and problem.keyword == "type":
        return f"{problem.message} (quote it: YAML reads a bare {shown(problem.value)} as a date)"
    return problem.message


def validate_site_data(data: Any, source: str, lines: Mapping[str, int] | None = None) -> list[SiteProblem]:
    """Every problem of an already-parsed site document, schema first, then the cross-device rules.
    ``lines`` (pointer -> line) is given for a document read from text, None for one built in code."""
    where = dict(lines or {})
    found = [
        SiteProblem(source, p.pointer, _site_message(p, lines is not None), line_of(p.pointer, where))
        for p in problems("site", data)
    ]
    if isinstance(data, Mapping):
        found += [
            SiteProblem(source, pointer, reason, line_of(pointer, where))
            for pointer, reason in cross_device_problems(data, where)
        ]
    return sorted(found, key=lambda p: (p.line or 0, p.pointer))


def parse_site_text(
    text: str, source: str, max_depth: int = MAX_DEPTH
) -> tuple[Any, list[SiteProblem], dict[str, int]]:
    """Parse YAML/JSON text: (data, problems found while parsing, pointer->line map)."""
    try:
        parsed = load_with_lines(text, max_depth)
    except YamlLoadError as error:
        return None, [SiteProblem(source, "", error.reason, error.line)], {}
    found = [
        SiteProblem(source, pointer, f"duplicate key (first on line {first})", line)
        for pointer, line, first in parsed.duplicates
    ]
    return parsed.data, found, parsed.lines


def build_site(data: Mapping[str, Any], source: str, lines: Mapping[str, int] | None = None) -> SiteSpec:
    """A SiteSpec from valid data: defaults applied, values normalized (the same way Device.check does)."""
    defaults = data.get("defaults") or {}
    devices = []
    for raw in data["devices"]:
        device = {field: defaults[field] for field in DEFAULTABLE_FIELDS if field in defaults}
        device.update(raw)
        devices.append(normalize(device))
    return SiteSpec(
        dealer_id=int(data[DEALER_ID]),
        site_id=int(data[SITE_ID]),
        devices=devices,
        source=source,
        line=(lines or {}).get(f"/{SITE_ID}"),
        prune=bool(data.get("prune", False)),
    )


def read_site_text(
    path: str | Path, root: str | Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[str | None, list[SiteProblem]]:
    """The file's text, or the problem that stops it being read. With ``root``, a file whose real path
    (symlinks followed) is outside it is refused before it is opened: its content is never read."""
    source = str(path)
    try:
        real = Path(path).resolve()
        if root is not None and not real.is_relative_to(Path(root).resolve()):
            return None, [SiteProblem(source, "", "resolves outside the project")]
        mode = os.stat(real).st_mode
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python 3.11, 3.12)
        reason = getattr(error, "strerror", None) or "symlink loop"
        return None, [SiteProblem(source, "", f"cannot read file: {reason}")]
    if not stat.S_ISREG(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        return None, [SiteProblem(source, "", f"cannot read file: {what}")]
    try:
        with real.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        return None, [
            SiteProblem(source, "", f"cannot read file: {error.strerror or error.__class__.__name__}")
        ]
    if len(raw) > max_bytes:
        return None, [
            SiteProblem(source, "", f"the file is larger than {_size(max_bytes)}, the limit for a site file")
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start]
        return None, [SiteProblem(source, "", f"not UTF-8 text (byte 0x{bad:02x} at offset {error.start})")]
    return text.removeprefix("\ufeff"), []


def check_site_file(
    path: str | Path, root: str | Path | None = None, max_bytes: int = MAX_FILE_BYTES
) -> tuple[SiteSpec | None, list[SiteProblem]]:
    """Load and validate one site file without raising: (site or None, problems)."""
    source = str(path)
    text, found = read_site_text(path, root, max_bytes)
    if text is None:
        return None, found
    data, found, lines = parse_site_text(text, source)
    if found:
        return None, found
    found = validate_site_data(data, source, lines)
    if found:
        return None, found
    return build_site(data, source, lines), []


def load_site_file(path: str | Path, root: str | Path | None = None) -> SiteSpec:
    """Load and validate one site file; SiteValidationError lists every problem."""
    site, found = check_site_file(path, root)
    if site is None:
        raise SiteValidationError(found)
    return site


def site_from_mapping(data: Mapping[str, Any], source: str = "<inline>") -> SiteSpec:
    """Validate an in-code site (dealer_id, site_id, devices[, defaults]); SiteValidationError on problems."""
    found = validate_site_data(data, source)
    if found:
        raise SiteValidationError(found)
    return build_site(data, source)


def duplicate_site_problems(sites: Iterable[SiteSpec]) -> list[SiteProblem]:
    """Two files for the same dealer and site would fight over its devices: report each repeat, with the
    line of ``site_id`` in both files."""
    by_key: dict[tuple[int, int], list[SiteSpec]] = defaultdict(list)
    for site in sites:
        by_key[site.key].append(site)
    return [
        SiteProblem(
            site.source,
            f"/{SITE_ID}",
            f"dealer {key[0]} site {key[1]} is also declared in {repeats[0].where}",
            site.line,
        )
        for key, repeats in by_key.items()
        for site in repeats[1:]
    ]
