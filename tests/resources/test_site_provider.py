"""Issue 15 at the provider, against the local server: the site record's step writes the whole site in
bulk, knowing what the change removes, and the devices' own steps only collect their outcomes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources import DeviceOperationError, DeviceProvider
from pulumi_chekt.resources.ledger import Ledger
from pulumi_chekt.resources.runtime import forget_runtimes
from pulumi_chekt.resources.site_changes import decode_row
from pulumi_chekt.resources.site_provider import SiteProvider, undeclared_of
from pulumi_chekt.resources.writes import new_create
from tests.resources.conftest import inputs
from tests.resources.test_device_writer import concurrently
from tests.routes import CREATE, DELETE, LIST, UPDATE, WRITES, count


@pytest.fixture
def sites(chekt_env: None) -> Iterator[SiteProvider]:
    yield SiteProvider()
    forget_runtimes()


def declared(**zones: str | dict[str, Any]) -> dict[str, Any]:
    """Site record inputs for dealer 2 site 3: external id -> zone (or a row)."""
    devices = {key: value if isinstance(value, dict) else {"device_type": "camera", "zone_number": value}
               for key, value in zones.items()}  # fmt: skip
    return {"dealer_id": 2, "site_id": 3, "prune": False, "devices": devices}


def decode_rows(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: decode_row(text) for key, text in props["devices"].items()}


def checked(sites: SiteProvider, news: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    result = sites.check(olds or {}, news)
    assert not result.failures, result.failures
    return dict(result.inputs)


def live(api: ChektClient) -> dict[str, dict[str, Any]]:
    return {d["external_device_id"]: d for d in api.list_devices(2, 3)}


def converged(sites: SiteProvider, devices: DeviceProvider, news: dict[str, Any]) -> dict[str, Any]:
    """A first `up`: the record's step, then each device's create collecting its outcome."""
    record = sites.create(checked(sites, news))
    for external_id, row in decode_rows(news).items():
        devices.create(inputs(external_id, **row))
    return dict(record.outs or {})


def state_of(api: ChektClient, external_id: str) -> tuple[str, dict[str, Any]]:
    found = live(api)[external_id]
    return str(found["device_id"]), {**found, "dealer_id": 2, "site_id": 3}


def test_a_first_up_is_one_list_and_one_bulk_create_and_the_devices_send_nothing(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    news = declared(**{f"cam-{n}": f"{n:03d}" for n in range(30)})
    record = sites.create(checked(sites, news))
    assert (count(admin, LIST), count(admin, CREATE)) == (1, 1)
    results = concurrently(
        [lambda e=e: device_provider.create(inputs(e, f"{int(e[4:]):03d}")) for e in news["devices"]]
    )
    assert count(admin, *WRITES) == 1  # the devices' steps collected their outcomes
    assert {r.outs["external_device_id"]: int(r.id) for r in results} == {
        k: v["device_id"] for k, v in live(api).items()
    }
    outs = record.outs or {}
    assert decode_row(outs["devices"]["cam-7"]) == {
        "device_type": "camera",
        "zone_number": "007",
        "device_id": live(api)["cam-7"]["device_id"],
    }
    assert sites.diff("2/3", outs, checked(sites, news)).changes is False


def test_hardware_replacement_at_the_same_zone_converges_in_one_run(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    before = converged(sites, device_provider, declared(**{"old-cam": "007", "keeper": "001"}))
    old_id, old_state = state_of(api, "old-cam")
    news = checked(sites, declared(**{"new-cam": "007", "keeper": "001"}), before)
    assert sites.diff("2/3", before, news).changes
    sites.update("2/3", before, news)
    writes = count(admin, *WRITES)
    created = device_provider.create(inputs("new-cam", "007"))  # the engine: creates first...
    device_provider.delete(old_id, old_state)  # ...removals only after every create and update
    assert count(admin, *WRITES) == writes  # both collected: nothing sent by the devices
    assert set(live(api)) == {"new-cam", "keeper"} and live(api)["new-cam"]["device_id"] == int(created.id)


def test_a_swap_converges_whatever_order_the_devices_come_in_and_with_no_timer(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient
) -> None:
    before = converged(sites, device_provider, declared(a="001", b="002", c="003"))
    news = checked(sites, declared(a="002", b="003", c="001"), before)
    sites.update("2/3", before, news)
    assert {k: v["zone_number"] for k, v in live(api).items()} == {"a": "002", "b": "003", "c": "001"}
    for name in ("c", "a", "b"):  # any order: each only collects its outcome
        device_id, olds = state_of(api, name)
        olds["zone_number"] = {"a": "001", "b": "002", "c": "003"}[name]
        zone = decode_rows(news)[name]["zone_number"]
        out = device_provider.update(device_id, olds, inputs(name, zone))
        assert out.outs and out.outs["zone_number"] == zone


def test_a_create_into_a_zone_held_by_an_undeclared_device_fails_alone_naming_it(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    api.create_devices(2, 3, [{"external_device_id": "stray", "device_type": "camera", "zone_number": "007"}])
    record = sites.create(checked(sites, declared(blocked="007", fine="008")))
    assert count(admin, CREATE) == 2  # the stray's own, and one for "fine": "blocked" was never sent
    assert device_provider.create(inputs("fine", "008")).id
    with pytest.raises(DeviceOperationError) as caught:
        device_provider.create(inputs("blocked", "007"))
    assert "zone_number '007' is already used by device 'stray'" in str(caught.value)
    assert "which no site file declares" in str(caught.value)
    outs = record.outs or {}
    assert "blocked" not in outs["devices"]  # not applied: the record still differs, the next run retries
    assert [row["external_device_id"] for row in outs["undeclared"]] == ["stray"]


def test_prune_deletes_only_undeclared_devices_and_only_when_asked(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient
) -> None:
    before = converged(sites, device_provider, declared(a="001"))
    api.create_devices(2, 3, [{"external_device_id": "stray", "device_type": "camera", "zone_number": "009"}])
    refreshed = dict(sites.read("2/3", before).outs or {})
    assert [row["external_device_id"] for row in refreshed["undeclared"]] == ["stray"]
    same = checked(sites, declared(a="001"), refreshed)
    assert sites.diff("2/3", refreshed, same).changes is False  # without prune: shown, never touched
    pruning = checked(sites, {**declared(a="001"), "prune": True}, refreshed)
    assert sites.diff("2/3", refreshed, pruning).changes is True
    after = sites.update("2/3", refreshed, pruning)
    assert set(live(api)) == {"a"} and (after.outs or {})["undeclared"] == []


def test_a_removed_device_is_deleted_by_the_record_and_its_own_delete_sends_nothing(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    before = converged(sites, device_provider, declared(a="001", b="002"))
    device_id, olds = state_of(api, "b")
    sites.update("2/3", before, checked(sites, declared(a="001"), before))
    deletes = count(admin, DELETE)
    device_provider.delete(device_id, olds)
    assert count(admin, DELETE) == deletes and set(live(api)) == {"a"}


def test_an_outcome_is_only_collected_by_exactly_the_write_it_was_for(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    before = converged(sites, device_provider, declared(a="001"))
    sites.update(
        "2/3",
        before,
        checked(sites, declared(a={"device_type": "camera", "zone_number": "001", "name": "x"}), before),
    )
    device_id, olds = state_of(api, "a")
    updates = count(admin, UPDATE)
    device_provider.update(device_id, olds, inputs("a", "001", name="y"))  # not what the record wrote
    assert count(admin, UPDATE) == updates + 1 and live(api)["a"]["name"] == "y"


def test_destroying_the_record_deletes_every_managed_device_in_one_request_and_nothing_else(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient, admin: Any
) -> None:
    outs = converged(sites, device_provider, declared(**{f"cam-{n}": f"{n:03d}" for n in range(12)}))
    api.create_devices(2, 3, [{"external_device_id": "stray", "device_type": "camera", "zone_number": "099"}])
    deletes = count(admin, DELETE)
    sites.delete("2/3", outs)
    assert count(admin, DELETE) - deletes == 1
    assert set(live(api)) == {"stray"}  # not managed: never touched


def test_destroy_finds_a_device_replaced_since_the_record_last_saw_it(
    sites: SiteProvider, device_provider: DeviceProvider, api: ChektClient
) -> None:
    outs = converged(sites, device_provider, declared(a="001"))
    api.delete_devices(2, 3, [live(api)["a"]["device_id"]])
    api.create_devices(2, 3, [{"external_device_id": "a", "device_type": "camera", "zone_number": "001"}])
    sites.delete("2/3", outs)
    assert live(api) == {}


def test_a_failing_device_reports_after_the_site_successes_were_collected() -> None:
    ledger = Ledger()
    site = (2, 3)
    ok = new_create(
        {
            "external_device_id": "ok",
            "dealer_id": 2,
            "site_id": 3,
            "device_type": "camera",
            "zone_number": "1",
        },
        0,
    )
    bad = new_create({**ok.desired, "external_device_id": "bad"}, 0)
    ledger.record_write(site, ok.desired, ok.succeeded({"device_id": 1}))
    ledger.record_write(site, bad.desired, bad.failed(DeviceOperationError("no")))
    order: list[str] = []
    waiter = threading.Thread(
        target=lambda: (ledger.wait_to_report_failure(site, quiet_seconds=30), order.append("bad"))
    )
    waiter.start()
    assert ledger.take_write(site, ok.desired) is not None
    order.append("ok")
    waiter.join(timeout=10)
    assert order == ["ok", "bad"]


def test_undeclared_devices_from_state_have_integer_ids_in_warnings() -> None:
    rows = undeclared_of(
        {"undeclared": [{"external_device_id": "stray", "device_id": 4.0, "zone_number": "007"}]}
    )
    assert rows[0]["device_id"] == 4 and isinstance(rows[0]["device_id"], int)


def test_a_site_that_does_not_exist_is_one_clear_error_of_the_record(sites: SiteProvider) -> None:
    news = {**declared(a="001"), "site_id": 99}
    with pytest.raises(DeviceOperationError) as caught:
        sites.create(checked(sites, news))
    assert "dealer 2 site 99 does not exist in CHeKT, or these credentials may not use it" in str(
        caught.value
    )
