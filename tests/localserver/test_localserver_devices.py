"""Happy paths of the five device endpoints, with every body checked against the contract schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import requests
from localserver_helpers import Api

from pulumi_chekt.localserver import LocalServer

Valid = Callable[[str, Any], None]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
FULL = {
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


def test_create_returns_201_and_full_devices(api: Api, assert_valid: Valid) -> None:
    response = api.create(
        [FULL, {"external_device_id": "b-1", "device_type": "bridge", "zone_number": "002"}]
    )
    assert response.status_code == 201
    body = response.json()
    assert_valid("bulk-result", body)
    assert (body["success_count"], body["failure_count"]) == (2, 0)
    first, second = (result["res"] for result in body["results"])
    assert body["results"][0]["req"] == FULL
    for device in (first, second):
        assert_valid("device", device)
        assert TIMESTAMP.match(device["created_at"])
        assert device["created_at"] == device["updated_at"]
        assert device["registered_by_partner"] == "adc"
    assert {key: first[key] for key in FULL} == FULL
    assert second["device_type"] == "bridge"
    assert second["name"] is None and second["mac"] is None  # optional fields never sent are null
    assert second["device_id"] > first["device_id"]


def test_list_is_sorted_and_scoped_to_the_site(api: Api, assert_valid: Valid) -> None:
    created = [api.create_one(n) for n in (5, 1, 3)]
    other_site = api.create([Api.device(9)], site=4).json()["results"][0]["res"]
    response = api.list()
    assert response.status_code == 200
    devices = response.json()
    assert_valid("device-list", devices)
    assert [d["device_id"] for d in devices] == sorted(d["device_id"] for d in created)
    assert other_site["device_id"] not in {d["device_id"] for d in devices}
    assert api.list(site=4).json() == [other_site]


def test_list_of_an_empty_site_is_an_empty_array(api: Api) -> None:
    response = api.list(dealer=7, site=8)
    assert response.status_code == 200
    assert response.json() == []


def test_get_returns_the_device(api: Api, assert_valid: Valid) -> None:
    device = api.create_one(1, name="Lobby")
    response = api.get(device["device_id"])
    assert response.status_code == 200
    assert_valid("device", response.json())
    assert response.json() == device


def test_update_changes_only_given_fields(api: Api, assert_valid: Valid) -> None:
    device = api.create_one(1, name="Old", mac="aa")
    item = {"device_id": device["device_id"], "name": "New", "zone_number": "050"}
    response = api.update([item])
    assert response.status_code == 200
    body = response.json()
    assert_valid("bulk-result", body)
    result = body["results"][0]
    assert result["is_successful"] and result["req"] == item
    updated = result["res"]
    assert_valid("device", updated)
    assert (updated["name"], updated["zone_number"], updated["mac"]) == ("New", "050", "aa")
    assert updated["created_at"] == device["created_at"]
    assert updated["updated_at"] > device["updated_at"]
    assert api.get(device["device_id"]).json() == updated


def test_every_update_moves_updated_at(api: Api) -> None:
    device = api.create_one(1)
    stamps = [device["updated_at"]]
    for _ in range(3):
        stamps.append(
            api.update([{"device_id": device["device_id"]}]).json()["results"][0]["res"]["updated_at"]
        )
    assert stamps == sorted(set(stamps))


def test_bulk_delete_removes_and_returns_devices(api: Api, assert_valid: Valid) -> None:
    first, second, kept = (api.create_one(n) for n in (1, 2, 3))
    response = api.delete([first["device_id"], second["device_id"]])
    assert response.status_code == 200
    body = response.json()
    assert_valid("bulk-result", body)
    assert body["success_count"] == 2
    assert [r["req"] for r in body["results"]] == [
        {"device_id": first["device_id"]},
        {"device_id": second["device_id"]},
    ]
    assert [r["res"] for r in body["results"]] == [first, second]
    assert [d["device_id"] for d in api.list().json()] == [kept["device_id"]]
    assert api.get(first["device_id"]).status_code == 404


def test_api_key_is_accepted_and_sets_its_partner(api: Api) -> None:
    response = api.create([Api.device(1)], token="test-api-key-value")
    assert response.status_code == 201
    assert response.json()["results"][0]["res"]["registered_by_partner"] == "chekt"


def test_limited_client_works_on_its_dealer(api: Api) -> None:
    token = api.get_token("limited-client", "limited-client-secret")
    response = api.create([Api.device(1)], dealer=5, site=6, token=token)
    assert response.status_code == 201
    assert response.json()["results"][0]["res"]["registered_by_partner"] == "oe"


def test_trace_id_is_echoed_on_success_and_error(api: Api, assert_valid: Valid) -> None:
    trace = "550e8400-e29b-41d4-a716-123456789000"
    ok = api.list(headers={"x-partner-trace-id": trace})
    assert ok.headers["x-partner-trace-id"] == trace
    error = api.get(999, headers={"x-partner-trace-id": trace})
    assert error.status_code == 404
    assert error.headers["x-partner-trace-id"] == trace
    assert_valid("error", error.json())
    assert error.json()["trace_id"] == trace


def test_error_without_trace_id_has_none(api: Api) -> None:
    error = api.get(999)
    assert "trace_id" not in error.json()
    assert "x-partner-trace-id" not in error.headers


def test_reference_curl_example_works(server: LocalServer, api: Api) -> None:
    """The reference's cURL create example, sent the same way, gets the documented answer."""
    response = requests.post(
        f"{server.url}/partner/v1/dealers/2/sites/3/devices",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {api.token}",
            "x-partner-trace-id": "550e8400-e29b-41d4-a716-123456789000",
        },
        data='[{"external_device_id": "adc-67890", "device_type": "camera", "zone_number": "001", '
        '"name": "Front Door Camera"}]',
        timeout=10,
    )
    assert response.status_code == 201
    assert response.json()["success_count"] == 1
