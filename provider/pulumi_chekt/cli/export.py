"""``export``: live sites as site files, to bring existing sites under Pulumi.

``--dealer D --site S [--out FILE]`` writes one site (to stdout by default); ``--dealer D --sites
3,4,7-12 --out-dir DIR`` writes one ``dealer-D-site-S.yaml`` per site, a few sites at a time over one
client (so one token), with one result line per site: onboarding hundreds of sites is one command
whose exit status says whether every site was written, not a shell loop. A site that fails (unknown,
refused, not expressible as a site file, an existing file without ``--force``) does not stop the others.

The file holds exactly what the Device provider compares (the site schema's device fields, in
their normalized form), so once it is adopted by ``pulumi up`` the next preview plans nothing.
Before anything is written the text is parsed back and validated with the library's own rules.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from pulumi_chekt.api import ChektError
from pulumi_chekt.cli.common import EXIT_OK, EXIT_USAGE, PROG, one_line, report_error
from pulumi_chekt.cli.credentials import (
    ENVIRONMENT_HELP,
    add_connection_arguments,
    client_from,
    positive_id,
)
from pulumi_chekt.cli.schema import PROJECT_SCHEMA_PATH
from pulumi_chekt.contract.device_fields import (
    DEALER_ID,
    EXTERNAL_ID,
    SITE_DEVICE_FIELDS,
    SITE_ID,
    ZONE_FIELDS,
)
from pulumi_chekt.resources.fields import normalize
from pulumi_chekt.site import SiteProblem
from pulumi_chekt.site.sitefile import parse_site_text, project_root, validate_site_data

if TYPE_CHECKING:  # the HTTP client loads on use: validate and schema never need it
    from pulumi_chekt.api import ChektClient


def site_device_fields() -> tuple[str, ...]:
    """The input fields a site file may give a device, in the schema's order (its single source)."""
    return SITE_DEVICE_FIELDS


def site_document(dealer_id: int, site_id: int, devices: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """dealer_id, site_id and the devices sorted by external id, without null, empty or API-only fields."""
    fields = site_device_fields()
    entries = [normalize({key: device.get(key) for key in fields}) for device in devices]
    ordered = [{key: entry[key] for key in fields if key in entry} for entry in entries]
    ordered.sort(key=lambda entry: str(entry.get(EXTERNAL_ID, "")))
    return {DEALER_ID: dealer_id, SITE_ID: site_id, "devices": ordered}


class _Quoted(str):
    """A string always written in double quotes: a zone like 001 or 1e3 must never read as a number."""

    __slots__ = ()


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the example site files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_IndentedDumper.add_representer(_Quoted, _represent_quoted)


def _for_yaml(document: Mapping[str, Any]) -> dict[str, Any]:
    devices = [
        {key: _Quoted(value) if key in ZONE_FIELDS else value for key, value in device.items()}
        for device in document["devices"]
    ]
    return {**document, "devices": devices}


def render(document: Mapping[str, Any], schema_ref: str) -> str:
    """The YAML text: the editor's schema comment, a provenance line, then the document."""
    body = yaml.dump(
        _for_yaml(document),
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )
    header = (
        f"# yaml-language-server: $schema={schema_ref}\n"
        f"# Dealer {document[DEALER_ID]}, site {document[SITE_ID]}: exported from the CHeKT API "
        f"by `{PROG} export`.\n"
    )
    return header + body


def check_rendered(text: str, document: Mapping[str, Any], source: str) -> list[SiteProblem]:
    """What ``validate`` would say about the text, plus a guard that YAML read back every value as written."""
    data, found, lines = parse_site_text(text, source)
    if found:
        return found
    found = validate_site_data(data, source, lines)
    if not found and data != document:
        found = [SiteProblem(source, "", "the YAML text does not read back as the exported values")]
    return found


def schema_home(folder: Path) -> Path:
    """The project the site file belongs to: the nearest folder above holding Pulumi.yaml, else the
    current folder (when the file goes below it), else the file's own folder."""
    root = project_root(folder)
    if any((root / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml")):
        return root
    cwd = Path.cwd().resolve()
    return cwd if folder.is_relative_to(cwd) else folder


def default_schema_ref(out: Path | None) -> tuple[str, Path]:
    """The project's schema copy (``schemas/site.schema.json`` beside Pulumi.yaml, as ``init`` writes
    it) relative to the site file's folder: the same text on every clone, unlike an installed path.
    Returns the reference and the file it points at."""
    folder = (out.parent if out is not None else Path.cwd()).resolve()
    target = schema_home(folder) / PROJECT_SCHEMA_PATH
    return Path(os.path.relpath(target, folder)).as_posix(), target


def write_new(path: Path, text: str, *, force: bool) -> None:
    """Create ``path`` (FileExistsError if it exists); with ``force`` replace it atomically."""
    if not force:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if path.exists():  # keep the replaced file's permissions (mkstemp creates 0600)
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class UnwritableSite(Exception):
    """The live site breaks the site-file rules (e.g. a device CHeKT holds without a zone)."""

    def __init__(self, problems: Sequence[SiteProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


def exported_text(
    client: ChektClient, dealer_id: int, site_id: int, schema_ref: str, source: str
) -> tuple[str, int]:
    """The site file text of a live site and its number of devices; UnwritableSite if no valid file can
    express it. One list call."""
    devices = client.list_devices(dealer_id, site_id)
    document = site_document(dealer_id, site_id, devices)
    text = render(document, schema_ref)
    problems = check_rendered(text, document, source)
    if problems:
        raise UnwritableSite(problems)
    return text, len(document["devices"])


def schema_note(schema_file: Path, subject: str = "its $schema comment points") -> str | None:
    """A hint when the ``$schema`` comment points at a project copy that does not exist yet."""
    if schema_file.is_file():
        return None
    relative = os.path.relpath(schema_file)
    shown = schema_file if relative.startswith("..") else relative
    return (
        f"note: {subject} at {shown}, which does not exist yet; for editor "
        f"completion write it with `{PROG} schema > {shown}`"
    )


def devices_text(count: int) -> str:
    return f"{count} device{'s' if count != 1 else ''}"


def run_one(args: argparse.Namespace) -> int:
    """``--site S [--out FILE]``: one site, to a file or to stdout."""
    out: Path | None = args.out
    if out is not None and out.exists() and not args.force:
        return report_error(f"{out} exists; pass --force to overwrite it")
    schema_ref, schema_file = default_schema_ref(out)
    with client_from(args) as client:
        try:
            text, count = exported_text(
                client, args.dealer, args.site, args.schema_ref or schema_ref, str(out or "<stdout>")
            )
        except UnwritableSite as refused:
            for problem in refused.problems:
                print(problem, file=sys.stderr)
            return report_error(
                f"dealer {args.dealer} site {args.site} cannot be written as a valid site file "
                "(fix the devices above in CHeKT first); nothing was written"
            )
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        write_new(out, text, force=args.force)
    except FileExistsError:
        return report_error(f"{out} exists; pass --force to overwrite it")
    except OSError as error:
        return report_error(f"cannot write {out}: {error.strerror or error}")
    print(f"wrote {out}: {devices_text(count)}", file=sys.stderr)
    note = None if args.schema_ref else schema_note(schema_file)
    if note:
        print(note, file=sys.stderr)
    return EXIT_OK


# ---- many sites: --sites 3,4,7-12 --out-dir DIR ------------------------------------------------------

DEFAULT_JOBS = 4
"""Sites exported at once: a few, so hundreds of sites take minutes, without hammering the API."""
MAX_JOBS = 16
MAX_SITES = 10_000
"""More sites than this in one ``--sites`` is almost surely a typo in a range (``1-100000``)."""
PROGRESS_INTERVAL = 0.1
"""Seconds between two redraws of the progress line."""

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def site_ids(text: str) -> list[int]:
    """argparse type for ``--sites``: ``3,4,7-12`` -> [3, 4, 7, 8, 9, 10, 11, 12], in the order given,
    each id once; anything else is a usage error (exit 2)."""
    ids: dict[int, None] = {}
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            raise argparse.ArgumentTypeError(f"expected site ids like 3,4,7-12, got {part.strip()!r}")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if first < 1 or last < first:
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not a range of positive site ids")
        if len(ids) + last - first + 1 > MAX_SITES:
            raise argparse.ArgumentTypeError(f"more than {MAX_SITES} sites in {text!r}")
        ids.update(dict.fromkeys(range(first, last + 1)))
    return list(ids)


def id_ranges(ids: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> ``3-5,9``: what ``--sites`` reads back, to retry just these sites."""
    runs: list[list[int]] = []
    for value in sorted(set(ids)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)


def jobs_count(text: str) -> int:
    """argparse type for ``--jobs``: 1 to MAX_JOBS."""
    value = positive_id(text)
    if value > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_JOBS}, got {value}")
    return value


def site_file_name(dealer_id: int, site_id: int) -> str:
    """The file one site is written to, named as the examples name theirs."""
    return f"dealer-{dealer_id}-site-{site_id}.yaml"


@dataclass(frozen=True)
class SiteOutcome:
    """What became of one site of ``--sites``: written (with its device count) or an error."""

    dealer_id: int
    site_id: int
    path: Path
    devices: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self) -> str:
        """The site's one result line."""
        site = f"dealer {self.dealer_id} site {self.site_id}"
        if self.ok:
            return f"{site}: wrote {self.path} ({devices_text(self.devices)})"
        return f"{site}: FAILED: {one_line(self.error)}"


def export_site(
    client: ChektClient, dealer_id: int, site_id: int, path: Path, schema_ref: str, *, force: bool
) -> SiteOutcome:
    """Export one site to ``path``; every failure that concerns this site alone becomes its outcome."""

    def failed(error: str) -> SiteOutcome:
        return SiteOutcome(dealer_id, site_id, path, error=error)

    if path.exists() and not force:
        return failed(f"{path} exists; pass --force to overwrite it")
    try:
        text, count = exported_text(client, dealer_id, site_id, schema_ref, str(path))
        write_new(path, text, force=force)
    except ChektError as error:
        return failed(str(error))
    except UnwritableSite as refused:
        first, more = refused.problems[0], len(refused.problems) - 1
        return failed(
            f"not expressible as a valid site file (fix it in CHeKT first): {first}"
            + (f" (and {more} more)" if more else "")
        )
    except FileExistsError:
        return failed(f"{path} exists; pass --force to overwrite it")
    except OSError as error:
        return failed(f"cannot write {path}: {error.strerror or error}")
    return SiteOutcome(dealer_id, site_id, path, devices=count)


class Progress:
    """``exporting 5/300 sites (1 failed)`` on one rewritten stderr line, only when stderr is a terminal;
    result lines go to stdout, so the line is cleared before each one and drawn again after it."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = stream.isatty() and total > 1
        self.shown = False
        self.last = 0.0

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def draw(self, done: int, failed: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.enabled and (force or now - self.last >= PROGRESS_INTERVAL):
            self.last = now
            failures = f" ({failed} failed)" if failed else ""
            self.stream.write(f"\rexporting {done}/{self.total} sites{failures}")
            self.stream.flush()
            self.shown = True


def exported_sites(
    client: ChektClient,
    dealer_id: int,
    site_ids: Sequence[int],
    folder: Path,
    schema_ref: str,
    *,
    force: bool,
    jobs: int,
) -> Iterator[SiteOutcome]:
    """Each site's outcome as it finishes, ``jobs`` sites at a time over the one ``client``."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(site_ids))), thread_name_prefix="export")
    try:
        futures: list[Future[SiteOutcome]] = [
            pool.submit(
                export_site,
                client,
                dealer_id,
                site,
                folder / site_file_name(dealer_id, site),
                schema_ref,
                force=force,
            )
            for site in site_ids
        ]
        for future in as_completed(futures):
            yield future.result()
    finally:  # on an interrupt, sites not started yet are never started
        pool.shutdown(wait=True, cancel_futures=True)


def run_many(args: argparse.Namespace) -> int:
    """``--sites ... --out-dir DIR`` (or ``--site S --out-dir DIR``): one file per site."""
    folder: Path = args.out_dir
    sites: list[int] = args.sites or [args.site]
    client = client_from(args)  # missing credentials: an error before anything is created
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        client.close()
        return report_error(f"cannot create {folder}: {error.strerror or error}")
    schema_ref, schema_file = default_schema_ref(folder / site_file_name(args.dealer, sites[0]))
    progress = Progress(len(sites), sys.stderr)
    failures: list[SiteOutcome] = []
    done = 0
    with client:
        progress.draw(0, 0, force=True)
        try:
            for outcome in exported_sites(
                client,
                args.dealer,
                sites,
                folder,
                args.schema_ref or schema_ref,
                force=args.force,
                jobs=args.jobs,
            ):
                done += 1
                if not outcome.ok:
                    failures.append(outcome)
                progress.clear()
                print(outcome.line(), flush=True)
                progress.draw(done, len(failures), force=done < len(sites))
        finally:
            progress.clear()
    written = len(sites) - len(failures)
    note = (
        None if args.schema_ref or not written else schema_note(schema_file, "their $schema comments point")
    )
    if note:
        print(note, file=sys.stderr)
    if failures:
        failed = id_ranges(outcome.site_id for outcome in failures)
        return report_error(
            f"{len(failures)} of {len(sites)} sites failed, {written} written to {folder}; "
            f"to retry the failed ones: --dealer {args.dealer} --sites {failed}"
        )
    print(f"{written} site file{'s' if written != 1 else ''} written to {folder}", file=sys.stderr)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.sites is not None and args.out_dir is None:
        print(f"{PROG} export: error: --sites needs --out-dir DIR (one file per site)", file=sys.stderr)
        return EXIT_USAGE
    return run_many(args) if args.out_dir is not None else run_one(args)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the live devices of a site (or of many sites) as site files",
        description=(
            "Read sites' devices from the CHeKT API and write them as site files (sorted by "
            "external_device_id, only the fields a site file declares) that `pulumi up` adopts "
            "without changes. One site: --site S, to stdout or --out FILE. Many sites: --sites 3,4,7-12 "
            "--out-dir DIR writes DIR/dealer-D-site-S.yaml per site, a few at a time, one result line "
            "per site on stdout (and a progress line on stderr when it is a terminal); a site that "
            "fails does not stop the others. " + ENVIRONMENT_HELP + " Exit status: 0 every site "
            "written, 1 an API error, an existing file without --force or a site that no valid site "
            "file can express (with --sites: any site failed), 2 usage error."
        ),
    )
    parser.add_argument("--dealer", type=positive_id, required=True, metavar="ID", help="dealer id")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", type=positive_id, metavar="ID", help="one site id")
    which.add_argument(
        "--sites", type=site_ids, metavar="IDS", help="site ids and ranges, e.g. 3,4,7-12 (needs --out-dir)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, metavar="FILE", help="write the one --site here instead of stdout")
    where.add_argument(
        "--out-dir",
        type=Path,
        metavar="DIR",
        help="write dealer-D-site-S.yaml per site into this folder (created if missing)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument(
        "--jobs",
        type=jobs_count,
        default=DEFAULT_JOBS,
        metavar="N",
        help=f"sites exported at once with --out-dir (default {DEFAULT_JOBS}, at most {MAX_JOBS})",
    )
    add_connection_arguments(parser)
    parser.add_argument(
        "--schema-ref",
        metavar="REF",
        help="what the yaml-language-server $schema comment points at (default: the project's "
        f"{PROJECT_SCHEMA_PATH.as_posix()}, beside Pulumi.yaml, relative to the output folder)",
    )
    parser.set_defaults(func=run)
