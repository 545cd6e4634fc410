"""Which device fields exist, which may change in place, and their canonical form.

Normalization makes formatting-only differences vanish before diffing: surrounding whitespace,
additional zones written as a list or as "002, 003", an empty optional field versus an absent one.
The rules of what is valid live in schemas/device-inputs.schema.json, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_chekt.contract import SchemaProblem, problems

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The value Pulumi passes for inputs that are not known yet during a preview (pulumi.runtime.rpc.UNKNOWN)."""

PROVIDER_KEY = "__provider"

ID_FIELDS = ("dealer_id", "site_id")
REPLACE_FIELDS = ("dealer_id", "site_id", "device_type", "external_device_id")
"""The update endpoint cannot change these, so changing one replaces the device (delete first)."""
UPDATABLE_FIELDS = (
    "zone_number",
    "additional_zone_numbers",
    "name",
    "mac",
    "manufacturer",
    "model",
    "serial_number",
)
INPUT_FIELDS = (*REPLACE_FIELDS, *UPDATABLE_FIELDS)
API_ONLY_FIELDS = ("device_id", "registered_by_partner", "created_at", "updated_at")
OUTPUT_FIELDS = (*INPUT_FIELDS, *API_ONLY_FIELDS)
OPTIONAL_TEXT_FIELDS = ("additional_zone_numbers", "name", "mac", "manufacturer", "model", "serial_number")


def canonical_zones(value: Any) -> Any:
    """Additional zones as the API's comma-separated string: list or "002, 003" both become "002,003"."""
    if isinstance(value, list | tuple):
        parts = [str(part).strip() if isinstance(part, str | int) else part for part in value]
        if all(isinstance(part, str) for part in parts):
            return ",".join(part for part in parts if part)
        return value  # left for the schema to reject with a clear message
    if isinstance(value, str):
        return ",".join(part.strip() for part in value.split(",") if part.strip())
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
    if key == "additional_zone_numbers":
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


def input_problems(inputs: Mapping[str, Any]) -> list[SchemaProblem]:
    """Schema violations of normalized inputs, ignoring fields whose value is not known yet."""
    unknown = {key for key, value in inputs.items() if value == UNKNOWN}
    known = {key: value for key, value in inputs.items() if key not in unknown}
    return [p for p in problems("device-inputs", known) if p.field not in unknown]


def comparable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the input fields, normalized: what diff compares between old outputs and new inputs."""
    normalized = normalize({key: values.get(key) for key in INPUT_FIELDS})
    return normalized


def api_item(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The bulk-create item for these inputs (everything but the dealer and site ids)."""
    return {
        key: value for key, value in normalize(inputs).items() if key in INPUT_FIELDS and key not in ID_FIELDS
    }
