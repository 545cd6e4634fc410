"""Issue 12, on the per-device path: zone swaps and rotations converge in one run against a server that keeps zones unique,
whether the engine's updates arrive together or one after the other; a real conflict names its holder."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources import DeviceOperationError, DeviceProvider
from tests.resources.conftest import inputs
from tests.resources.test_device_writer import concurrently


def _zones(api: ChektClient) -> dict[str, str]:
    return {d["external_device_id"]: d["zone_number"] for d in api.list_devices(2, 3)}


def _created(device_provider: DeviceProvider, zones: dict[str, str]) -> dict[str, Any]:
    return {name: device_provider.create(inputs(name, zone)) for name, zone in zones.items()}


def _plan_and_update(
    device_provider: DeviceProvider, created: dict[str, Any], wanted: dict[str, str], *, together: bool
) -> list[Any]:
    """What the engine does: diff every changed device first, then run the updates."""
    calls = []
    for name, zone in wanted.items():
        olds, news = dict(created[name].outs or {}), inputs(name, zone)
        assert device_provider.diff(created[name].id, olds, news).changes
        calls.append(lambda c=created[name], o=olds, n=news: device_provider.update(c.id, o, n))
    if together:
        return concurrently(calls)
    return [call() for call in calls]


@pytest.mark.parametrize("together", [True, False], ids=["concurrent", "one-by-one"])
def test_a_swap_of_two_zones_converges(
    device_provider: DeviceProvider, api: ChektClient, together: bool
) -> None:
    created = _created(device_provider, {"a": "001", "b": "002"})
    results = _plan_and_update(device_provider, created, {"a": "002", "b": "001"}, together=together)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _zones(api) == {"a": "002", "b": "001"}
    assert {r.outs["external_device_id"]: r.outs["zone_number"] for r in results} == {"a": "002", "b": "001"}


@pytest.mark.parametrize("together", [True, False], ids=["concurrent", "one-by-one"])
def test_a_rotation_of_three_zones_converges(
    device_provider: DeviceProvider, api: ChektClient, together: bool
) -> None:
    created = _created(device_provider, {"a": "001", "b": "002", "c": "003", "d": "004"})
    wanted = {"a": "002", "b": "003", "c": "001"}
    results = _plan_and_update(device_provider, created, wanted, together=together)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _zones(api) == {**wanted, "d": "004"}


def test_a_chain_into_a_freed_zone_converges(device_provider: DeviceProvider, api: ChektClient) -> None:
    created = _created(device_provider, {"a": "001", "b": "002"})
    # a takes b's zone, b moves to a new one: b must go first, whichever call comes first.
    results = _plan_and_update(device_provider, created, {"a": "002", "b": "005"}, together=False)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _zones(api) == {"a": "002", "b": "005"}


def test_a_zone_held_by_a_device_that_is_not_moving_is_a_named_error(
    device_provider: DeviceProvider, api: ChektClient
) -> None:
    created = _created(device_provider, {"a": "001", "keeper": "007"})
    with pytest.raises(DeviceOperationError) as caught:
        _plan_and_update(device_provider, created, {"a": "007"}, together=False)
    assert "'keeper'" in str(caught.value) and "007" in str(caught.value)
    assert _zones(api) == {"a": "001", "keeper": "007"}


def test_a_failed_move_ahead_of_time_ends_in_an_error_naming_the_holder(
    device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    created = _created(device_provider, {"a": "001", "b": "002"})
    admin.set_faults(
        item_failures=[{"external_device_id": "b", "status_code": 422, "error_message": "locked"}]
    )
    for name, zone in {"a": "002", "b": "003"}.items():
        device_provider.diff(created[name].id, dict(created[name].outs or {}), inputs(name, zone))
    with pytest.raises(DeviceOperationError) as caught:  # a's update comes first; b's move fails for good
        device_provider.update(created["a"].id, dict(created["a"].outs or {}), inputs("a", "002"))
    assert "'b'" in str(caught.value)
    assert _zones(api) == {"a": "001", "b": "002"}
