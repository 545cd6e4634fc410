"""The per-device path (issues 8 and 12): writes of one site coalesce into bulk calls, each device
gets its own outcome, transient failures are retried per item, and a create is never sent twice
blindly. (A site declared through SiteDevices is written by its site record: tests/resources/
test_site_provider.py.)"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources import DeviceOperationError, DeviceProvider
from tests.resources.conftest import inputs
from tests.routes import CREATE, DELETE, GET, LIST, TOKEN, UPDATE, count


def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads started together, as the engine's four provider workers do."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_creates_share_bulk_requests_and_one_list(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    wanted = [inputs(f"cam-{n}", f"{n:03d}") for n in range(8)]
    results = concurrently([lambda i=i: device_provider.create(i) for i in wanted])
    assert not [r for r in results if isinstance(r, Exception)]
    live = {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)}
    assert {r.outs["external_device_id"]: int(r.id) for r in results} == live
    assert count(admin, CREATE) <= 4  # was 8: one request per device
    assert count(admin, LIST) == 2  # the writer's one list, and this test's


def test_creating_many_devices_lists_the_site_once(device_provider: DeviceProvider, admin: Any) -> None:
    for n in range(12):
        device_provider.create(inputs(f"cam-{n}", f"{n:03d}"))
    assert count(admin, LIST) == 1  # was 12: a list before every create


def test_one_failed_item_fails_only_its_device(device_provider: DeviceProvider, admin: Any) -> None:
    admin.set_faults(
        item_failures=[{"external_device_id": "cam-2", "status_code": 422, "error_message": "zone locked"}]
    )
    wanted = [inputs(f"cam-{n}", f"{n:03d}") for n in range(4)]
    results = concurrently([lambda i=i: device_provider.create(i) for i in wanted])
    failed = {
        i["external_device_id"]: r for i, r in zip(wanted, results, strict=True) if isinstance(r, Exception)
    }
    assert list(failed) == ["cam-2"]
    error = failed["cam-2"]
    assert isinstance(error, DeviceOperationError)
    assert "status 422" in str(error) and "zone locked" in str(error)
    assert error.trace_id and error.trace_id in str(error)


def test_a_transient_item_failure_is_retried_for_that_item_alone(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    admin.set_faults(
        item_failures=[
            {"external_device_id": "cam-1", "status_code": 503, "error_message": "busy", "times": 2}
        ]
    )
    result = device_provider.create(inputs())
    assert [d["device_id"] for d in api.list_devices(2, 3)] == [int(result.id)]
    assert count(admin, CREATE) == 3


def test_an_item_500_on_create_is_looked_up_before_it_is_sent_again(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    admin.set_faults(
        item_failures=[
            {"external_device_id": "cam-1", "status_code": 500, "error_message": "oops", "times": 1}
        ]
    )
    device_provider.create(inputs())
    assert len(api.list_devices(2, 3)) == 1
    assert count(admin, LIST) == 3  # snapshot, the look-up after the 500, this test
    assert count(admin, CREATE) == 2


def test_an_update_item_failing_with_500_is_retried(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    created = device_provider.create(inputs(name="Front"))
    admin.set_faults(
        item_failures=[{"external_device_id": "cam-1", "status_code": 500, "error_message": "x", "times": 2}]
    )
    device_provider.update(created.id, dict(created.outs or {}), inputs(name="Back"))
    assert api.get_device(2, 3, int(created.id))["name"] == "Back"
    assert count(admin, UPDATE) == 3


def test_an_ambiguous_create_that_did_not_happen_is_sent_again(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    # The gateway answers 502 without passing the request on: the look-up proves nothing was made.
    admin.queue_fault(status=502, times=1, method="POST", path=r"/devices$", when="before")
    result = device_provider.create(inputs())
    assert [d["device_id"] for d in api.list_devices(2, 3)] == [int(result.id)]
    assert count(admin, CREATE) == 2


def test_a_lost_answer_to_a_create_that_happened_adopts_it_without_a_second_create(
    device_provider: DeviceProvider, api: ChektClient, admin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    admin.queue_fault(drop=True, times=1, method="POST", path=r"/devices$", when="after")
    with caplog.at_level(logging.WARNING, logger="pulumi_chekt"):
        result = device_provider.create(inputs())
    assert [d["device_id"] for d in api.list_devices(2, 3)] == [int(result.id)]
    assert count(admin, CREATE) == 1
    assert "adopted" not in caplog.text  # our own create, not someone else's device


def test_a_create_that_a_503_called_unprocessed_but_was_made_is_adopted_after_the_conflict(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    admin.queue_fault(status=503, retry_after=0, times=1, method="POST", path=r"/devices$", when="after")
    result = device_provider.create(inputs())
    assert [d["device_id"] for d in api.list_devices(2, 3)] == [int(result.id)]
    assert count(admin, CREATE) == 2  # the re-send met the device made by the first: 409, then look-up


def test_a_token_endpoint_failure_during_a_create_is_retried_without_a_look_up(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    device_provider.create(inputs("cam-0", "000"))  # the site is listed and a token cached
    admin.reset()  # the server forgets its tokens: the next create meets a 401 and fetches a new one...
    admin.queue_fault(status=502, times=2, path="/oauth/token")  # ...which fails twice
    device_provider.create(inputs())
    assert (count(admin, TOKEN), count(admin, CREATE), count(admin, LIST)) == (3, 2, 0)  # no look-up
    assert [d["external_device_id"] for d in api.list_devices(2, 3)] == ["cam-1"]


def test_a_zone_held_by_a_device_nothing_moves_names_that_device(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    api.create_devices(
        2, 3, [{"external_device_id": "door-cam", "device_type": "camera", "zone_number": "001"}]
    )
    with pytest.raises(DeviceOperationError) as caught:
        device_provider.create(inputs("cam-1", "001"))
    assert "'door-cam'" in str(caught.value)
    assert caught.value.status == 409
    assert count(admin, CREATE) == 1  # only this test's own create: the refused one was never sent


def test_adopting_a_live_device_warns(
    device_provider: DeviceProvider, api: ChektClient, caplog: pytest.LogCaptureFixture
) -> None:
    made = api.create_devices(
        2, 3, [{"external_device_id": "cam-1", "device_type": "camera", "zone_number": "001"}]
    )
    device_id = made.items[0].device["device_id"]  # type: ignore[index]
    with caplog.at_level(logging.WARNING, logger="pulumi_chekt"):
        device_provider.create(inputs())
    assert f"adopted existing device 'cam-1' (device_id {device_id})" in caplog.text


def test_concurrent_updates_and_deletes_share_bulk_requests_without_gets(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    created = [device_provider.create(inputs(f"cam-{n}", f"{n:03d}", name="a")) for n in range(8)]
    results = concurrently(
        [
            lambda c=c: device_provider.update(
                c.id,
                dict(c.outs or {}),
                inputs(c.outs["external_device_id"], c.outs["zone_number"], name="b"),
            )
            for c in created
        ]
    )
    assert all(r.outs["name"] == "b" for r in results)
    assert {d["name"] for d in api.list_devices(2, 3)} == {"b"}
    assert count(admin, UPDATE) <= 4
    assert count(admin, GET) == 0  # outputs come from what was sent and answered, not a GET per device
    concurrently([lambda c=c: device_provider.delete(c.id, dict(c.outs or {})) for c in created])
    assert api.list_devices(2, 3) == []
    assert count(admin, DELETE) <= 4
