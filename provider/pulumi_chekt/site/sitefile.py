"""Site files: one YAML or JSON file per site, validated by schemas/site.schema.json plus the rules a
schema cannot state (external_device_id and zone_number unique within the site).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pulumi_chekt.contract import problems
from pulumi_chekt.resources.fields import normalize
from pulumi_chekt.site.problems import SiteProblem, SiteValidationError
from pulumi_chekt.site.yaml_lines import line_of, load_with_lines

DEFAULTABLE_FIELDS = ("device_type", "manufacturer", "model")


@dataclass(frozen=True)
class SiteSpec:
    """A validated site: its ids and its devices with defaults applied and values normalized."""

    dealer_id: int
    site_id: int
    devices: list[dict[str, Any]]
    source: str = "<inline>"

    @property
    def key(self) -> tuple[int, int]:
        return (self.dealer_id, self.site_id)


def _duplicates(devices: list[Any], field: str) -> Iterable[tuple[int, str, int]]:
    """(index, value, index of first occurrence) for each device repeating ``field``'s value."""
    first: dict[str, int] = {}
    for index, device in enumerate(devices):
        if not isinstance(device, Mapping) or not isinstance(device.get(field), str):
            continue
        value = device[field].strip()
        if value in first:
            yield index, value, first[value]
        else:
            first[value] = index


def cross_device_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(pointer, reason) for every external_device_id or zone_number used twice in the site."""
    devices = data.get("devices")
    if not isinstance(devices, list):
        return []
    found = []
    for field, what in (("external_device_id", "external_device_id"), ("zone_number", "zone_number")):
        for index, value, earlier in _duplicates(devices, field):
            found.append(
                (f"/devices/{index}/{field}", f"{what} {value!r} is already used by /devices/{earlier}")
            )
    return found


def validate_site_data(data: Any, source: str, lines: Mapping[str, int] | None = None) -> list[SiteProblem]:
    """Every problem of an already-parsed site document, schema first, then the cross-device rules."""
    where = dict(lines or {})
    found = [
        SiteProblem(source, p.pointer, p.message, line_of(p.pointer, where)) for p in problems("site", data)
    ]
    if isinstance(data, Mapping):
        found += [
            SiteProblem(source, pointer, reason, line_of(pointer, where))
            for pointer, reason in cross_device_problems(data)
        ]
    return sorted(found, key=lambda p: (p.line or 0, p.pointer))


def parse_site_text(text: str, source: str) -> tuple[Any, list[SiteProblem], dict[str, int]]:
    """Parse YAML/JSON text: (data, problems found while parsing, pointer->line map)."""
    try:
        data, lines, duplicate_keys = load_with_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        return None, [SiteProblem(source, "", f"not valid YAML/JSON: {reason}", line)], {}
    found = [SiteProblem(source, pointer, "duplicate key", line) for pointer, line in duplicate_keys]
    return data, found, lines


def build_site(data: Mapping[str, Any], source: str) -> SiteSpec:
    """A SiteSpec from valid data: defaults applied, values normalized (the same way Device.check does)."""
    defaults = data.get("defaults") or {}
    devices = []
    for raw in data["devices"]:
        device = {field: defaults[field] for field in DEFAULTABLE_FIELDS if field in defaults}
        device.update(raw)
        devices.append(normalize(device))
    return SiteSpec(
        dealer_id=int(data["dealer_id"]), site_id=int(data["site_id"]), devices=devices, source=source
    )


def check_site_file(path: str | Path) -> tuple[SiteSpec | None, list[SiteProblem]]:
    """Load and validate one site file without raising: (site or None, problems)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [SiteProblem(source, "", f"cannot read file: {error.__class__.__name__}: {error}")]
    data, found, lines = parse_site_text(text, source)
    if found:
        return None, found
    found = validate_site_data(data, source, lines)
    if found:
        return None, found
    return build_site(data, source), []


def load_site_file(path: str | Path) -> SiteSpec:
    """Load and validate one site file; SiteValidationError lists every problem."""
    site, found = check_site_file(path)
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
    """Two files for the same dealer and site would fight over its devices: report each repeat."""
    by_key: dict[tuple[int, int], list[str]] = defaultdict(list)
    for site in sites:
        by_key[site.key].append(site.source)
    return [
        SiteProblem(source, "/site_id", f"dealer {key[0]} site {key[1]} is also declared in {sources[0]}")
        for key, sources in by_key.items()
        for source in sources[1:]
    ]
