"""Which device fields exist, which may change in place, and their canonical form.

The field sets come from the schemas (``contract.device_fields``) and normalization from
``contract.normalize``; both are re-exported here for the provider. The rules of what is valid live
in schemas/device-inputs.schema.json, not here. No Pulumi import: the CLI uses this module too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_chekt.contract import SchemaProblem, problems
from pulumi_chekt.contract.device_fields import (
    API_ONLY_FIELDS,
    ID_FIELDS,
    INPUT_FIELDS,
    OPTIONAL_TEXT_FIELDS,
    OUTPUT_FIELDS,
    REPLACE_FIELDS,
    UPDATABLE_FIELDS,
)
from pulumi_chekt.contract.normalize import PROVIDER_KEY, UNKNOWN, canonical_zones, normalize


def input_problems(inputs: Mapping[str, Any]) -> list[SchemaProblem]:
    """Schema violations of normalized inputs, ignoring fields whose value is not known yet."""
    unknown = {key for key, value in inputs.items() if value == UNKNOWN}
    known = {key: value for key, value in inputs.items() if key not in unknown}
    return [p for p in problems("device-inputs", known) if p.field not in unknown]


def comparable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the input fields, normalized: what diff compares between old outputs and new inputs."""
    return normalize({key: values.get(key) for key in INPUT_FIELDS})


def api_item(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The bulk-create item for these inputs (everything but the dealer and site ids)."""
    return {
        key: value for key, value in normalize(inputs).items() if key in INPUT_FIELDS and key not in ID_FIELDS
    }


def overlay(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Every output field, each from the last layer that has it: a device after a write (what we knew,
    what we sent, what the API answered) or a resource's outputs (its inputs, then the device as the
    API holds it). Fields no layer has are None."""
    merged: dict[str, Any] = dict.fromkeys(OUTPUT_FIELDS)
    for layer in layers:
        merged.update({key: layer[key] for key in OUTPUT_FIELDS if key in layer})
    return merged


def update_changes(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The update fields (without device_id) that bring ``live`` to ``desired``, compared in their
    canonical form; a field set live and unset in ``desired`` is sent as "" (which clears it)."""
    have, want = comparable(live), comparable(desired)
    return {key: want.get(key, "") for key in UPDATABLE_FIELDS if have.get(key) != want.get(key)}


__all__ = [  # field sets from contract.device_fields, normalization from contract.normalize
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
    "overlay",
    "update_changes",
]
