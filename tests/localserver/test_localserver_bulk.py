"""Partial failures of bulk calls: each item succeeds or fails alone, in order, with the right status."""

from __future__ import annotations

import threading
from typing import Any

from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import AdminClient


def _statuses(body: dict[str, Any]) -> list[int | None]:
    """200-ish marker None for successes, else each failed item's status_code."""
    assert_valid("bulk-result", body)
    assert body["success_count"] + body["failure_count"] == len(body["results"])
    assert body["success_count"] == sum(r["is_successful"] for r in body["results"])
    return [None if r["is_successful"] else r["status_code"] for r in body["results"]]


def test_one_invalid_item_fails_alone_naming_the_field(api: Api) -> None:
    bad = Api.device(2, device_type="doorbell")
    response = api.create([Api.device(1), bad, Api.device(3)])
    assert response.status_code == 201
    body = response.json()
    assert _statuses(body) == [None, 400, None]
    failed = body["results"][1]
    assert failed["req"] == bad
    assert "device_type" in failed["error_message"]
    assert "res" not in failed
    assert [d["external_device_id"] for d in api.list().json()] == ["ext-1", "ext-3"]


def test_invalid_item_messages_name_each_field(api: Api) -> None:
    items = [
        {"device_type": "camera", "zone_number": "001"},
        {**Api.device(2), "zone_number": 2},
        {**Api.device(3), "colour": "red"},
        {**Api.device(4), "external_device_id": " padded "},
    ]
    results = api.create(items).json()["results"]
    messages = [r["error_message"] for r in results]
    assert [r["status_code"] for r in results] == [400, 400, 400, 400]
    for message, field in zip(
        messages, ["external_device_id", "zone_number", "colour", "external_device_id"], strict=True
    ):
        assert field in message


def test_duplicate_zone_in_the_same_batch_is_409(api: Api) -> None:
    body = api.create([Api.device(1), {**Api.device(2), "zone_number": "001"}]).json()
    assert _statuses(body) == [None, 409]
    assert "zone_number" in body["results"][1]["error_message"]


def test_duplicate_zone_of_an_existing_device_is_409(api: Api) -> None:
    existing = api.create_one(1)
    body = api.create([{**Api.device(2), "zone_number": "001"}, Api.device(3)]).json()
    assert _statuses(body) == [409, None]
    assert str(existing["device_id"]) in body["results"][0]["error_message"]


def test_same_zone_on_another_site_is_fine(api: Api) -> None:
    api.create_one(1)
    assert _statuses(api.create([Api.device(1)], site=4).json()) == [None]


def test_duplicate_external_id_is_409(api: Api) -> None:
    api.create_one(1)
    body = api.create([{**Api.device(2), "external_device_id": "ext-1"}]).json()
    assert _statuses(body) == [409]
    assert "external_device_id" in body["results"][0]["error_message"]


def test_all_items_failing_still_answers_201_with_results(api: Api) -> None:
    response = api.create([{"nonsense": 1}, {"more": 2}])
    assert response.status_code == 201
    assert response.json()["success_count"] == 0
    assert _statuses(response.json()) == [400, 400]


def test_update_of_unknown_id_fails_that_item_with_404(api: Api) -> None:
    device = api.create_one(1)
    body = api.update(
        [{"device_id": 999999, "name": "x"}, {"device_id": device["device_id"], "name": "ok"}]
    ).json()
    assert _statuses(body) == [404, None]
    assert body["results"][1]["res"]["name"] == "ok"


def test_update_of_a_device_of_another_site_is_404(api: Api) -> None:
    device = api.create_one(1)
    body = api.update([{"device_id": device["device_id"], "name": "hijack"}], site=4).json()
    assert _statuses(body) == [404]
    assert api.get(device["device_id"]).json()["name"] is None


def test_update_zone_collision_is_409(api: Api) -> None:
    first, second = api.create_one(1), api.create_one(2)
    body = api.update([{"device_id": second["device_id"], "zone_number": first["zone_number"]}]).json()
    assert _statuses(body) == [409]
    assert api.get(second["device_id"]).json()["zone_number"] == second["zone_number"]


def test_update_keeping_its_own_zone_is_fine(api: Api) -> None:
    device = api.create_one(1)
    body = api.update([{"device_id": device["device_id"], "zone_number": device["zone_number"]}]).json()
    assert _statuses(body) == [None]


def test_update_invalid_item_is_400_and_cannot_change_fixed_fields(api: Api) -> None:
    device = api.create_one(1)
    items = [
        {"device_id": device["device_id"], "device_type": "bridge"},
        {"device_id": device["device_id"], "zone_number": "  "},  # blank; any other text is a zone
        {"name": "no id"},
    ]
    body = api.update(items).json()
    assert _statuses(body) == [400, 400, 400]
    assert "device_type" in body["results"][0]["error_message"]
    assert "device_id" in body["results"][2]["error_message"]
    assert api.get(device["device_id"]).json() == device


def test_delete_of_unknown_and_repeated_ids(api: Api) -> None:
    device = api.create_one(1)
    body = api.delete([device["device_id"], 424242, device["device_id"]]).json()
    assert _statuses(body) == [None, 404, 404]
    assert body["results"][1]["req"] == {"device_id": 424242}


def test_delete_of_a_device_of_another_site_is_404(api: Api) -> None:
    device = api.create_one(1)
    assert _statuses(api.delete([device["device_id"]], site=4).json()) == [404]
    assert api.get(device["device_id"]).status_code == 200


def test_forced_item_failures_by_external_and_device_id(api: Api, admin: AdminClient) -> None:
    victim = api.create_one(7)
    admin.set_faults(
        item_failures=[
            {"external_device_id": "ext-2", "status_code": 500, "error_message": "boom"},
            {"device_id": victim["device_id"], "status_code": 422, "error_message": "locked"},
        ]
    )
    body = api.create([Api.device(1), Api.device(2), Api.device(3)]).json()
    assert _statuses(body) == [None, 500, None]
    assert body["results"][1]["error_message"] == "boom"
    assert [d["external_device_id"] for d in api.list().json()] == ["ext-7", "ext-1", "ext-3"]
    update = api.update([{"device_id": victim["device_id"], "name": "x"}]).json()
    assert _statuses(update) == [422]
    assert _statuses(api.delete([victim["device_id"]]).json()) == [422]
    assert api.get(victim["device_id"]).status_code == 200


def test_forced_failure_matches_update_by_the_devices_external_id(api: Api, admin: AdminClient) -> None:
    device = api.create_one(1)
    admin.set_faults(
        item_failures=[{"external_device_id": "ext-1", "status_code": 503, "error_message": "busy"}]
    )
    assert _statuses(api.update([{"device_id": device["device_id"], "name": "n"}]).json()) == [503]


def test_forced_failure_with_times_passes_afterwards(api: Api, admin: AdminClient) -> None:
    admin.set_faults(
        item_failures=[{"external_device_id": "ext-1", "status_code": 500, "error_message": "x", "times": 1}]
    )
    assert _statuses(api.create([Api.device(1)]).json()) == [500]
    assert _statuses(api.create([Api.device(1)]).json()) == [None]
    assert admin.faults()["item_failures"] == []


def test_concurrent_batches_cannot_both_take_a_zone(api: Api) -> None:
    token = api.token
    results: list[list[int | None]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        body = api.create([{**Api.device(100 + n), "zone_number": "777"}], token=token).json()
        with lock:
            results.append(_statuses(body))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [[409]] * 7 + [[None]]
    assert [d["zone_number"] for d in api.list().json()] == ["777"]
