"""``unique_external_ids`` / ``unique_zones``: on by default (409 items), off to make duplicates visible."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from localserver_helpers import Api

from pulumi_chekt.localserver import LocalServer, ServerConfig


@pytest.fixture
def lax_server(server_config: ServerConfig) -> Iterator[LocalServer]:
    server_config.unique_external_ids = False
    server_config.unique_zones = False
    with LocalServer(server_config) as running:
        yield running


def _statuses(response: object) -> list[int | None]:
    return [r.get("status_code") for r in response.json()["results"]]  # type: ignore[attr-defined]


def test_duplicates_are_refused_by_default(api: Api) -> None:
    api.create_one(1)
    same_id = Api.device(1, zone_number="777")
    same_zone = Api.device(2, zone_number="001")
    assert _statuses(api.create([same_id, same_zone])) == [409, 409]
    assert len(api.list().json()) == 1


def test_without_uniqueness_a_second_create_makes_a_second_device(lax_server: LocalServer) -> None:
    api = Api(lax_server)
    first = api.create_one(1)
    second = api.create_one(1)  # same external id and zone
    devices = api.list().json()
    assert [d["device_id"] for d in devices] == [first["device_id"], second["device_id"]]
    assert {d["external_device_id"] for d in devices} == {"ext-1"}


def test_without_zone_uniqueness_an_update_may_reuse_a_zone(lax_server: LocalServer) -> None:
    api = Api(lax_server)
    api.create_one(1)
    other = api.create_one(2)
    result = api.update([{"device_id": other["device_id"], "zone_number": "001"}]).json()["results"][0]
    assert result["is_successful"], result


def test_each_rule_switches_alone(server_config: ServerConfig) -> None:
    server_config.unique_zones = False
    with LocalServer(server_config) as server:
        api = Api(server)
        api.create_one(1)
        assert _statuses(api.create([Api.device(2, zone_number="001")])) == [None]  # zone reused: fine
        assert _statuses(api.create([Api.device(1, zone_number="555")])) == [409]  # external id: refused
