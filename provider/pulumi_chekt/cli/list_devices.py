"""``list --dealer D --site S``: what the API holds for a site, e.g. to show the result of ``pulumi up``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_chekt.cli.common import EXIT_OK
from pulumi_chekt.cli.credentials import ENVIRONMENT_HELP, add_site_arguments, client_from
from pulumi_chekt.contract.device_fields import (
    ADDITIONAL_ZONES,
    DEVICE_ID,
    DEVICE_TYPE,
    EXTERNAL_ID,
    NAME,
    ZONE,
)

COLUMNS: tuple[tuple[str, str], ...] = (
    (DEVICE_ID, "DEVICE_ID"),
    (EXTERNAL_ID, "EXTERNAL_DEVICE_ID"),
    (DEVICE_TYPE, "TYPE"),
    (ZONE, "ZONE"),
    (ADDITIONAL_ZONES, "ADDITIONAL_ZONES"),
    (NAME, "NAME"),
)
"""The table's columns: a device at a glance. ``--format json`` shows every field the API returns."""


def _cell(value: Any) -> str:
    """A value for a terminal: '-' when unset, control characters (escape sequences) neutralized."""
    if value is None or value == "":
        return "-"
    return "".join(char if char.isprintable() else "?" for char in str(value))


def sorted_devices(devices: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(devices, key=lambda d: (str(d.get(EXTERNAL_ID, "")), d.get(DEVICE_ID, 0)))


def table(devices: Sequence[Mapping[str, Any]]) -> str:
    """Left-aligned columns sized to their content, one device per line."""
    rows = [[title for _, title in COLUMNS]]
    rows += [[_cell(device.get(key)) for key, _ in COLUMNS] for device in devices]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def run(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        devices = sorted_devices(client.list_devices(args.dealer, args.site))
    if args.format == "json":
        print(json.dumps(list(devices), indent=2, ensure_ascii=False))
    else:
        print(table(devices))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "list",
        help="print the devices the API holds for a site",
        description=(
            "Print a site's devices as the CHeKT API holds them, sorted by external_device_id: a "
            "table, or with --format json the devices as the API returns them. "
            + ENVIRONMENT_HELP
            + " Exit status: 0 listed, 1 API error, 2 usage error."
        ),
    )
    add_site_arguments(parser)
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="table (default) or json"
    )
    parser.set_defaults(func=run)
