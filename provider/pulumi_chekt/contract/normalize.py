"""The canonical form of device fields, shared by the Device provider, site files and export.

Normalization makes formatting-only differences vanish before diffing: surrounding whitespace,
additional zones written as a list or as "002, 003", an empty optional field versus an absent one.
It never decides what is valid (schemas/ does) and never drops information: zones it cannot join
faithfully (an item that is not text, an empty zone in a list or in a comma string) are left as they
are for the schema to report.

It lives here, apart from ``resources/``, so that site files and the CLI use it without importing
the Pulumi SDK; ``resources.fields`` re-exports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_chekt.contract.device_fields import (
    ADDITIONAL_ZONES,
    ID_FIELDS,
    OPTIONAL_TEXT_FIELDS,
    ZONE_LIST_DEFINITION,
    ZONES_DEFINITION,
)
from pulumi_chekt.contract.schemas import conforms

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The value Pulumi passes for inputs that are not known yet during a preview (pulumi.runtime.rpc.UNKNOWN)."""

PROVIDER_KEY = "__provider"


def canonical_zones(value: Any) -> Any:
    """Additional zones as the API's comma-separated string: ["002", " 003"] and "002, 003" both become
    "002,003"; a blank string means no zones (""). Only a value the schema accepts is rewritten: one
    with an empty zone ("002,,003" as much as ["002", ""]) is left as it is, for the schema to report."""
    if isinstance(value, list | tuple):
        if not conforms("common", ZONE_LIST_DEFINITION, list(value)):
            return value
        value = ",".join(value)  # each item is a zone (or, holding commas, the zones it spells)
    if isinstance(value, str):
        if not conforms("common", ZONES_DEFINITION, value):
            return value
        return ",".join(part.strip() for part in value.split(",")) if value.strip() else ""
    return value


def _canonical_id(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _canonical_value(key: str, value: Any) -> Any:
    if value == UNKNOWN:
        return value
    if key in ID_FIELDS:
        return _canonical_id(value)
    if key == ADDITIONAL_ZONES:
        return canonical_zones(value)
    return value.strip() if isinstance(value, str) else value


def normalize(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of device inputs (or of the input fields of outputs); unknowns kept as they are."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key == PROVIDER_KEY or value is None:
            continue
        canonical = _canonical_value(key, value)
        if key in OPTIONAL_TEXT_FIELDS and canonical == "":
            continue  # empty and absent mean the same: "not set"
        result[key] = canonical
    return result
