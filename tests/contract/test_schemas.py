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
        ({"zone_number": ""}, "zone_number"),
        ({"zone_number": " \t"}, "zone_number"),
        ({"additional_zone_numbers": ["002"]}, "additional_zone_numbers"),  # the API takes the string form
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
    assert problems("device", {**device, "registered_by_partner": "acme"}) == []  # liberal in what we accept


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


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("zone_number", "a zone must not be empty"),
        ("external_device_id", "must not be empty, nor start or end with a space"),
    ],
)
@pytest.mark.parametrize("blank", ["", " ", "\n", " \t\n"])
def test_blank_zones_and_external_ids_get_one_message_and_no_regex(
    field: str, message: str, blank: str
) -> None:
    item = {"external_device_id": "a", "device_type": "camera", "zone_number": "001", field: blank}
    found = problems("device-create", item)
    assert [(p.field, p.message) for p in found] == [(field, message)]


@pytest.mark.parametrize("zone", ["Zone-12", "12 B", "001\n", "z" * 40, "ü-1", "1,2"])
def test_any_non_blank_text_is_a_zone(zone: str) -> None:
    """The reference says only "string": no made-up format (it used to be ^[0-9A-Za-z]{1,16}$)."""
    item = {"external_device_id": "a", "device_type": "camera", "zone_number": zone}
    assert problems("device-create", item) == []


def test_responses_accept_what_the_api_may_send_that_we_do_not_know() -> None:
    live = {
        "device_id": 9, "device_type": "sensor", "zone_number": "Zone-12", "external_device_id": "x",
        "additional_zone_numbers": "A-1, B 2", "registered_by_partner": "acme", "firmware": "1.2.3",
        "name": None,
    }  # fmt: skip
    assert problems("device", live) == []
    assert problems("device-list", [live]) == []
    partial = {"device_id": 9, "device_type": "sensor", "zone_number": "Zone-12", "extra": [1]}
    result = {"success_count": 1, "failure_count": 0, "results": [{"is_successful": True, "res": partial}]}
    assert problems("bulk-result", result) == []


def test_the_zone_rule_is_stated_once() -> None:
    """Every zone field of every input schema refers to common.schema.json; no other schema has a pattern."""
    common = schema("common")["$defs"]
    assert common["zone_number"]["pattern"] == "\\S"
    # The comma string applies the same rule to each zone between commas, with the same message.
    assert (
        common["additional_zone_numbers"]["patternErrorMessage"]
        == common["zone_number"]["patternErrorMessage"]
    )
    for name in ("device-create", "device-update", "device-inputs"):
        properties = schema(name)["properties"]
        assert properties["zone_number"] == {"$ref": "common.schema.json#/$defs/zone_number"}
    site_device = schema("site")["$defs"]["device"]["properties"]
    assert (
        site_device["additional_zone_numbers"]
        == schema("device-inputs")["properties"]["additional_zone_numbers"]
    )
    patterns = [
        path.name for path in SCHEMAS if '"pattern"' in path.read_text() and path.name != "common.schema.json"
    ]
    assert patterns == []
