"""``export --dealer D --site S``: the live site as a site file, to bring an existing site under Pulumi.

The file holds exactly what the Device provider compares (the site schema's device fields, in
their normalized form), so once it is adopted by ``pulumi up`` the next preview plans nothing.
Before anything is written the text is parsed back and validated with the library's own rules.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pulumi_chekt.cli.common import EXIT_OK, PROG, report_error
from pulumi_chekt.cli.credentials import ENVIRONMENT_HELP, add_site_arguments, client_from
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


def run(args: argparse.Namespace) -> int:
    out: Path | None = args.out
    if out is not None and out.exists() and not args.force:
        return report_error(f"{out} exists; pass --force to overwrite it")
    with client_from(args) as client:
        devices = client.list_devices(args.dealer, args.site)
    document = site_document(args.dealer, args.site, devices)
    schema_ref, schema_file = default_schema_ref(out)
    text = render(document, args.schema_ref or schema_ref)
    problems = check_rendered(text, document, str(out or "<stdout>"))
    if problems:
        for problem in problems:
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
    count = len(document["devices"])
    print(f"wrote {out}: {count} device{'s' if count != 1 else ''}", file=sys.stderr)
    if not args.schema_ref and not schema_file.is_file():
        relative = os.path.relpath(schema_file)
        shown = schema_file if relative.startswith("..") else relative
        print(
            f"note: its $schema comment points at {shown}, which does not exist yet; for editor "
            f"completion write it with `{PROG} schema > {shown}`",
            file=sys.stderr,
        )
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the live devices of a site as a site file",
        description=(
            "Read a site's devices from the CHeKT API and write them as a site file (sorted by "
            "external_device_id, only the fields a site file declares) that `pulumi up` adopts "
            "without changes. " + ENVIRONMENT_HELP + " Exit status: 0 written, 1 API error, "
            "existing --out file or a site that no valid site file can express, 2 usage error."
        ),
    )
    add_site_arguments(parser)
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    parser.add_argument(
        "--schema-ref",
        metavar="REF",
        help="what the yaml-language-server $schema comment points at (default: the project's "
        f"{PROJECT_SCHEMA_PATH.as_posix()}, beside Pulumi.yaml, relative to the output folder)",
    )
    parser.set_defaults(func=run)
