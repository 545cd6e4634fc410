"""The five endpoints and their typed errors, against the local server over loopback HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_chekt.api import (
    ChektBadRequest,
    ChektClient,
    ChektClientError,
    ChektForbidden,
    ChektNotFound,
    ChektTokenError,
    ChektUnauthorized,
)
from pulumi_chekt.contract import problems
from tests.api.conftest import camera
from tests.conftest import API_KEY, CLIENT_SECRET


def test_create_list_get_update_delete_round_trip(client: ChektClient) -> None:
    created = client.create_devices(
        2, 3, [camera("cam-1", "001", name="Front", additional_zone_numbers="002,003")]
    )
    assert (created.success_count, created.failure_count) == (1, 0)
    device = created.items[0].device
    assert device is not None
    assert device["registered_by_partner"] == "adc"
    assert not problems("device", device)

    listed = client.list_devices(2, 3)
    assert [d["external_device_id"] for d in listed] == ["cam-1"]
    fetched = client.get_device(2, 3, device["device_id"])
    assert fetched["name"] == "Front"
    assert fetched["additional_zone_numbers"] == "002,003"

    updated = client.update_devices(2, 3, [{"device_id": device["device_id"], "name": "Front Door"}])
    assert updated.success_count == 1
    assert client.get_device(2, 3, device["device_id"])["name"] == "Front Door"

    deleted = client.delete_devices(2, 3, [device["device_id"]])
    assert deleted.success_count == 1
    assert deleted.items[0].request == {"device_id": device["device_id"]}
    assert client.list_devices(2, 3) == []


def test_static_api_key_authenticates(server: Any, make_client: Callable[..., ChektClient]) -> None:
    keyed = make_client(client_id=None, client_secret=None, api_token=API_KEY)
    result = keyed.create_devices(2, 3, [camera("cam-key", "007")])
    assert result.items[0].device is not None
    assert result.items[0].device["registered_by_partner"] == "chekt"


def test_partial_bulk_failure_is_tied_to_the_item_sent(client: ChektClient) -> None:
    items = [
        camera("ok-1", "001"),
        {"external_device_id": "bad", "device_type": "drone", "zone_number": "002"},
    ]
    result = client.create_devices(2, 3, items)
    assert (result.success_count, result.failure_count) == (1, 1)
    failure = result.failures[0]
    assert failure.index == 1
    assert failure.request["external_device_id"] == "bad"
    assert failure.status_code == 400
    assert "device_type" in failure.error_message
    assert result.successes[0].request["external_device_id"] == "ok-1"


def test_duplicate_zone_fails_only_that_item(client: ChektClient) -> None:
    client.create_devices(2, 3, [camera("a", "001")])
    result = client.create_devices(2, 3, [camera("b", "001"), camera("c", "002")])
    assert [item.is_successful for item in result.items] == [False, True]
    assert result.items[0].status_code == 409


def test_update_and_delete_of_unknown_device_fail_per_item_with_404(client: ChektClient) -> None:
    assert client.update_devices(2, 3, [{"device_id": 999_999, "name": "x"}]).items[0].status_code == 404
    assert client.delete_devices(2, 3, [999_999]).items[0].status_code == 404


def test_404_for_unknown_site_and_device_names_the_trace_id(client: ChektClient) -> None:
    with pytest.raises(ChektNotFound) as unknown_site:
        client.list_devices(2, 999)
    with pytest.raises(ChektNotFound) as unknown_device:
        client.get_device(2, 3, 424242)
    for error in (unknown_site.value, unknown_device.value):
        assert error.status == 404
        assert error.method == "GET"
        assert error.path.startswith("/partner/v1/dealers/2/sites/")
        uuid.UUID(error.trace_id)  # a real UUID
        assert error.trace_id in str(error)
    assert unknown_site.value.trace_id != unknown_device.value.trace_id  # fresh per request


def test_400_for_a_malformed_body(client: ChektClient) -> None:
    with pytest.raises(ChektBadRequest) as caught:
        client._send(
            "POST", "/partner/v1/dealers/2/sites/3/devices/bulk-delete", {"ids": [1]}, idempotent=True
        )
    assert caught.value.status == 400
    assert caught.value.api_message


def test_413_for_an_oversized_body(client: ChektClient) -> None:
    huge = [camera(f"cam-{i}", f"{i:04d}", name="x" * 250, serial_number="y" * 250) for i in range(3000)]
    with pytest.raises(ChektClientError) as caught:
        client.create_devices(2, 3, huge)
    assert caught.value.status == 413


def test_403_when_the_client_may_not_use_the_dealer(make_client: Callable[..., ChektClient]) -> None:
    limited = make_client(client_id="limited-client", client_secret="limited-client-secret")
    assert limited.list_devices(5, 6) == []
    with pytest.raises(ChektForbidden) as caught:
        limited.list_devices(2, 3)
    assert caught.value.status == 403


def test_401_for_bad_credentials_never_shows_the_secret(make_client: Callable[..., ChektClient]) -> None:
    wrong_secret = "wrong-" + CLIENT_SECRET
    bad = make_client(client_secret=wrong_secret)
    with pytest.raises(ChektTokenError) as caught:
        bad.list_devices(2, 3)
    text = str(caught.value) + repr(caught.value) + repr(bad)
    assert caught.value.status == 401
    assert wrong_secret not in text
    assert "invalid_client" in text

    bad_key = make_client(client_id=None, client_secret=None, api_token="not-a-key-123")
    with pytest.raises(ChektUnauthorized) as caught_key:
        bad_key.list_devices(2, 3)
    assert "not-a-key-123" not in str(caught_key.value)


def test_responses_are_schema_valid_devices(client: ChektClient) -> None:
    client.create_devices(2, 4, [camera("c1", "001"), {**camera("b1", "002"), "device_type": "bridge"}])
    listed: list[dict[str, Any]] = client.list_devices(2, 4)
    assert sorted(d["device_type"] for d in listed) == ["bridge", "camera"]
    assert all(not problems("device", d) for d in listed)
