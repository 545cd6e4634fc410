"""Which device fields exist, which may change in place, and their canonical form.

Normalization (``contract.normalize``, re-exported here) makes formatting-only differences vanish
before diffing. The rules of what is valid live in schemas/device-inputs.schema.json, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_chekt.contract import SchemaProblem, problems
from pulumi_chekt.contract.normalize import (
    ID_FIELDS,
    OPTIONAL_TEXT_FIELDS,
    PROVIDER_KEY,
    UNKNOWN,
    canonical_zones,
    normalize,
)

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


__all__ = [  # normalization lives in contract.normalize (no Pulumi import); re-exported here
    "API_ONLY_FIELDS",
    "ID_FIELDS",
    "INPUT_FIELDS",
    "OPTIONAL_TEXT_FIELDS",
    "OUTPUT_FIELDS",
    "PROVIDER_KEY",
    "REPLACE_FIELDS",
    "UNKNOWN",
    "UPDATABLE_FIELDS",
    "api_item",
    "canonical_zones",
    "comparable",
    "input_problems",
    "normalize",
]
