"""create, adopt, update, delete and read against the local server."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources import DeviceOperationError, DeviceProvider
from pulumi_chekt.resources.fields import OUTPUT_FIELDS
from pulumi_chekt.resources.runtime import forget_runtimes
from tests.resources.conftest import inputs
from tests.routes import CREATE, GET, LIST, count


def test_create_registers_the_device_and_returns_every_output(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    result = device_provider.create(inputs(name="Front", additional_zone_numbers="002,003"))
    live = api.get_device(2, 3, int(result.id))
    assert live["external_device_id"] == "cam-1"
    assert live["additional_zone_numbers"] == "002,003"
    assert result.outs is not None
    assert set(OUTPUT_FIELDS) <= set(result.outs)
    assert result.outs["device_id"] == live["device_id"]
    assert result.outs["registered_by_partner"] == "adc"
    assert result.outs["created_at"] == live["created_at"]


def test_create_adopts_an_existing_device_instead_of_duplicating(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    existing = api.create_devices(
        2, 3, [{"external_device_id": "cam-1", "device_type": "camera", "zone_number": "001", "name": "Old"}]
    )
    existing_id = existing.items[0].device["device_id"]  # type: ignore[index]
    before = count(admin, CREATE)
    result = device_provider.create(inputs(name="New"))
    assert result.id == str(existing_id)
    assert count(admin, CREATE) == before  # nothing created
    assert [d["name"] for d in api.list_devices(2, 3)] == ["New"]  # and converged


def test_adopting_a_device_of_another_type_is_refused(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    api.create_devices(2, 3, [{"external_device_id": "cam-1", "device_type": "bridge", "zone_number": "001"}])
    with pytest.raises(DeviceOperationError, match="as a bridge, not a camera"):
        device_provider.create(inputs())


def test_create_after_a_lost_response_adopts_what_the_server_made(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    admin.queue_fault(status=500, times=1, method="POST", path=r"/devices$", when="after")
    result = device_provider.create(inputs())
    devices = api.list_devices(2, 3)
    assert len(devices) == 1
    assert result.id == str(devices[0]["device_id"])


def test_create_not_processed_is_reported_without_a_lookup(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    admin.queue_fault(status=503, retry_after=0, times=20, method="POST", path=r"/devices$")
    with pytest.raises(DeviceOperationError) as caught:
        device_provider.create(inputs())
    assert caught.value.status == 503
    assert "503" in str(caught.value)
    assert count(admin, LIST) == 1  # the adoption check before the create, and no second look
    assert api.list_devices(2, 3) == []


def test_a_failed_item_raises_with_the_api_status_and_message(
    device_provider: DeviceProvider, admin: Any
) -> None:
    admin.set_faults(
        item_failures=[{"external_device_id": "cam-1", "status_code": 422, "error_message": "zone locked"}]
    )
    with pytest.raises(DeviceOperationError) as caught:
        device_provider.create(inputs())
    assert caught.value.status == 422
    assert "zone locked" in str(caught.value)
    assert caught.value.trace_id and caught.value.trace_id in str(caught.value)


def test_a_duplicate_zone_fails_with_the_api_message(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    api.create_devices(2, 3, [{"external_device_id": "other", "device_type": "camera", "zone_number": "001"}])
    with pytest.raises(DeviceOperationError) as caught:
        device_provider.create(inputs())
    assert caught.value.status == 409


def test_update_sends_only_changed_fields_and_returns_full_outputs(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    created = device_provider.create(inputs(name="Front", mac="AA"))
    olds = dict(created.outs or {})
    # Someone changes the MAC by hand; our update must not touch it because mac did not change in the program.
    api.update_devices(2, 3, [{"device_id": int(created.id), "mac": "BB"}])
    result = device_provider.update(created.id, olds, inputs(name="Back", mac="AA"))
    live = api.get_device(2, 3, int(created.id))
    assert live["name"] == "Back"
    assert live["mac"] == "BB"
    assert result.outs is not None
    assert set(OUTPUT_FIELDS) <= set(result.outs)
    assert result.outs["name"] == "Back"
    assert result.outs["updated_at"] == live["updated_at"]
    assert result.outs["created_at"] == live["created_at"]


def test_removing_an_optional_field_clears_it(device_provider: DeviceProvider, api: ChektClient) -> None:
    created = device_provider.create(inputs(name="Front"))
    device_provider.update(created.id, dict(created.outs or {}), inputs())
    assert api.get_device(2, 3, int(created.id))["name"] in (None, "")


def test_delete_removes_the_device_and_tolerates_one_already_gone(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    created = device_provider.create(inputs())
    device_provider.delete(created.id, dict(created.outs or {}))
    assert api.list_devices(2, 3) == []
    device_provider.delete(created.id, dict(created.outs or {}))  # 404 counts as deleted


def test_read_shows_drift_and_forgets_a_device_deleted_out_of_band(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    created = device_provider.create(inputs(name="Front"))
    olds = dict(created.outs or {})
    api.update_devices(2, 3, [{"device_id": int(created.id), "name": "Changed by hand"}])
    read = device_provider.read(created.id, olds)
    assert read.id == created.id
    assert read.outs is not None and read.outs["name"] == "Changed by hand"
    assert device_provider.diff(created.id, read.outs, inputs(name="Front")).changes is True

    api.delete_devices(2, 3, [int(created.id)])
    forget_runtimes()  # the next refresh runs in a new provider process
    assert DeviceProvider().read(created.id, olds).id is None


def test_refreshing_many_devices_of_a_site_shares_one_list_call(
    device_provider: DeviceProvider, admin: Any
) -> None:
    created = [device_provider.create(inputs(f"cam-{n}", f"{n:03d}")) for n in range(8)]
    before = count(admin, LIST)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(device_provider.read(c.id, dict(c.outs or {}))))
        for c in created
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.id for r in results) == sorted(c.id for c in created)
    assert count(admin, LIST) - before == 1
    assert count(admin, GET) == 0
