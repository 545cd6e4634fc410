"""The schemas are valid JSON Schema 2020-12, say what the reference says, and the OpenAPI document
refers to them for every endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from pulumi_chekt.contract import problems, schema, schema_dir

SCHEMAS = sorted(schema_dir().glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_schema_is_valid_2020_12(path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_reference_example_create_item_is_valid() -> None:
    item = {
        "external_device_id": "adc-67890",
        "device_type": "camera",
        "name": "Front Door Camera",
        "zone_number": "001",
        "additional_zone_numbers": "002,003",
        "mac": "1234567890",
        "manufacturer": "CHeKT",
        "model": "ADC2345",
        "serial_number": "SN1234567890",
    }
    assert problems("device-create", item) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_type": "sensor"}, "device_type"),
        ({"zone_number": 1}, "zone_number"),
        ({"additional_zone_numbers": "002, 003"}, "additional_zone_numbers"),
        ({"external_device_id": ""}, "external_device_id"),
    ],
)
def test_create_item_rules(change: dict[str, Any], field: str) -> None:
    item = {"external_device_id": "a", "device_type": "camera", "zone_number": "001", **change}
    assert {p.field for p in problems("device-create", item)} == {field}


def test_reference_example_responses_are_valid() -> None:
    device = {
        "device_id": 1, "device_type": "camera", "zone_number": "001", "additional_zone_numbers": "002,003",
        "manufacturer": "CHeKT", "registered_by_partner": "adc", "external_device_id": "adc-67890",
        "name": "Front Door Camera", "mac": "1234567890", "model": "ADC2345", "serial_number": "SN1234567890",
        "created_at": "2021-07-01T00:00:00.000Z", "updated_at": "2021-07-01T00:00:00.000Z",
    }  # fmt: skip
    assert problems("device", device) == []
    assert problems("device-list", [device]) == []
    update_result = {
        "success_count": 1, "failure_count": 0,
        "results": [{"is_successful": True, "req": {"device_id": 123, "name": "x"},
                     "res": {"device_id": 123, "device_type": "camera", "zone_number": "005", "name": "x",
                             "updated_at": "2021-07-01T00:00:00.000Z"}}],
    }  # fmt: skip
    assert problems("bulk-result", update_result) == []
    assert problems("bulk-delete-request", {"deviceIds": [123, 891]}) == []
    assert problems("device", {**device, "registered_by_partner": "acme"})  # enum is closed


def test_a_failed_result_needs_status_and_message() -> None:
    failed = {"success_count": 0, "failure_count": 1, "results": [{"is_successful": False, "req": {}}]}
    fields = {p.field for p in problems("bulk-result", failed)}
    assert fields == {"status_code", "error_message"}


def test_ids_are_numbers() -> None:
    assert schema("common")["$defs"]["dealer_id"]["type"] == "integer"
    assert problems("bulk-delete-request", {"deviceIds": ["123"]})


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_openapi_covers_every_endpoint_and_refers_to_existing_schemas() -> None:
    document = yaml.safe_load((schema_dir() / "openapi.yaml").read_text())
    assert document["openapi"].startswith("3.1")
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    base = "/partner/v1/dealers/{dealerId}/sites/{siteId}/devices"
    assert operations == {
        ("POST", "/oauth/token"),
        ("GET", base),
        ("POST", base),
        ("PUT", base),
        ("GET", base + "/{deviceId}"),
        ("POST", base + "/bulk-delete"),
    }
    for ref in _refs(document):
        target = ref.split("#")[0]
        if target:
            assert (schema_dir() / target).is_file(), ref
        else:
            node: Any = document
            for part in ref.split("#/")[1].split("/"):
                node = node[part]


@pytest.mark.parametrize("field", ["zone_number", "external_device_id", "additional_zone_numbers"])
def test_a_trailing_newline_does_not_slip_past_a_pattern(field: str) -> None:
    item = {"external_device_id": "a", "device_type": "camera", "zone_number": "001", field: "001\n"}
    assert {p.field for p in problems("device-create", item)} == {field}
