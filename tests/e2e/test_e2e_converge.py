"""`pulumi up` / `preview` / `refresh` / `destroy` with the real engine against the local API server."""

from __future__ import annotations

from typing import Any

from pulumi_chekt.api import ChektClient
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject, changed_steps, device_name
from tests.routes import CREATE, WRITES, count


def live(api: ChektClient, dealer_id: int, site_id: int) -> dict[str, dict[str, Any]]:
    return {d["external_device_id"]: d for d in api.list_devices(dealer_id, site_id)}


def writes(admin: Any) -> int:
    return count(admin, *WRITES)


STORE = site(
    2,
    3,
    device(
        "cam-front", "001", name="Front Door", additional_zone_numbers=["002", "003"], manufacturer="CHeKT"
    ),
    device("cam-back", "004", name="Back Door"),
    device("bridge", "010", device_type="bridge", name="Panel Bridge"),
)
WAREHOUSE = site(2, 4, device("dock-1", "101"), device("dock-2", "102"), defaults={"manufacturer": "Hanwha"})


def test_up_creates_exactly_the_declared_devices_and_then_plans_nothing(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    project.write_site("store.yaml", STORE)
    project.write_site("warehouse.yaml", WAREHOUSE)
    project.up()

    store = live(api, 2, 3)
    assert set(store) == {"cam-front", "cam-back", "bridge"}
    assert store["cam-front"]["additional_zone_numbers"] == "002,003"
    assert store["cam-front"]["name"] == "Front Door"
    assert store["bridge"]["device_type"] == "bridge"
    assert store["bridge"]["zone_number"] == "010"
    warehouse = live(api, 2, 4)
    assert set(warehouse) == {"dock-1", "dock-2"}
    assert {d["manufacturer"] for d in warehouse.values()} == {"Hanwha"}

    outputs = project.outputs()
    assert outputs["device_count"] == 5
    assert outputs["sites"] == {"2/3": 3, "2/4": 2}  # per-site counts, never one entry per device

    before = writes(admin)
    assert changed_steps(project.preview_json()) == []
    project.run("preview", "--expect-no-changes")
    project.up()
    assert writes(admin) == before  # a second up writes nothing


def test_a_name_change_is_one_update_of_that_field_only(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    ids = {k: v["device_id"] for k, v in live(api, 2, 3).items()}

    changed = site(2, 3, *[dict(d) for d in STORE["devices"]])
    changed["devices"][1]["name"] = "Back Door (loading bay)"
    project.write_site("store.yaml", changed)

    steps = changed_steps(project.preview_json())
    assert [(s["op"], device_name(s)) for s in steps] == [("update", "2/3/cam-back")]
    old, new = steps[0]["oldState"]["inputs"], steps[0]["newState"]["inputs"]
    differing = {k for k in set(old) | set(new) if k != "__provider" and old.get(k) != new.get(k)}
    assert differing == {"name"}

    before = writes(admin)
    project.up()
    after = live(api, 2, 3)
    assert after["cam-back"]["name"] == "Back Door (loading bay)"
    assert {k: v["device_id"] for k, v in after.items()} == ids  # updated in place
    assert writes(admin) - before == 1


def test_type_change_replaces_delete_first_and_removal_and_addition_converge(
    project: PulumiProject, api: ChektClient
) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    old_ids = {k: v["device_id"] for k, v in live(api, 2, 3).items()}

    devices = [dict(d) for d in STORE["devices"] if d["external_device_id"] != "cam-back"]
    devices[0]["device_type"] = "bridge"  # cam-front becomes a bridge: same external id and zone
    devices.append(device("cam-side", "020", name="Side Door"))
    project.write_site("store.yaml", site(2, 3, *devices))

    steps = changed_steps(project.preview_json())
    ops = sorted((s["op"], device_name(s)) for s in steps)
    assert ("create", "2/3/cam-side") in ops
    assert ("delete", "2/3/cam-back") in ops
    assert ("replace", "2/3/cam-front") in ops
    replace = next(s for s in steps if s["op"] == "replace")
    assert replace["newState"]["inputs"]["device_type"] == "bridge"

    # The API refuses a second device with the same external id or zone, so this up succeeds
    # only because the old device is deleted before its replacement is created.
    applied = project.up().output
    assert applied.index("deleted original") < applied.index("created replacement"), applied
    now = live(api, 2, 3)
    assert set(now) == {"cam-front", "bridge", "cam-side"}
    assert now["cam-front"]["device_type"] == "bridge"
    assert now["cam-front"]["zone_number"] == "001"
    assert now["cam-front"]["device_id"] != old_ids["cam-front"]
    assert now["bridge"]["device_id"] == old_ids["bridge"]
    assert changed_steps(project.preview_json()) == []


def test_refresh_shows_drift_and_up_restores_it(project: PulumiProject, api: ChektClient) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    devices = live(api, 2, 3)
    api.update_devices(2, 3, [{"device_id": devices["cam-front"]["device_id"], "name": "Renamed by hand"}])
    api.delete_devices(2, 3, [devices["cam-back"]["device_id"]])

    refreshed = project.run("refresh", "--yes", "--skip-preview", "--diff")
    assert "Renamed by hand" in refreshed.output
    assert "cam-back" in refreshed.output  # shown as deleted

    steps = changed_steps(project.preview_json())
    assert sorted((s["op"], device_name(s)) for s in steps) == [
        ("create", "2/3/cam-back"),
        ("update", "2/3/cam-front"),
    ]

    project.up()
    now = live(api, 2, 3)
    assert now["cam-front"]["name"] == "Front Door"
    assert "cam-back" in now
    assert now["cam-back"]["device_id"] != devices["cam-back"]["device_id"]
    assert changed_steps(project.preview_json()) == []


def test_an_existing_site_is_adopted_not_duplicated(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    existing = [
        {
            "external_device_id": "cam-front",
            "device_type": "camera",
            "zone_number": "001",
            "name": "Old name",
        },
        {
            "external_device_id": "cam-back",
            "device_type": "camera",
            "zone_number": "004",
            "name": "Back Door",
        },
        {
            "external_device_id": "bridge",
            "device_type": "bridge",
            "zone_number": "010",
            "name": "Panel Bridge",
        },
    ]
    created = api.create_devices(2, 3, existing)
    ids = {item.request["external_device_id"]: item.device["device_id"] for item in created.items}  # type: ignore[index]
    creates_before = count(admin, CREATE)

    project.write_site("store.yaml", STORE)
    project.up()

    now = live(api, 2, 3)
    assert len(api.list_devices(2, 3)) == 3
    assert {k: v["device_id"] for k, v in now.items()} == ids
    assert now["cam-front"]["name"] == "Front Door"
    assert now["cam-front"]["additional_zone_numbers"] == "002,003"
    assert count(admin, CREATE) == creates_before
    assert changed_steps(project.preview_json()) == []


def test_destroy_removes_every_device(project: PulumiProject, api: ChektClient) -> None:
    project.write_site("store.yaml", STORE)
    project.write_site("warehouse.yaml", WAREHOUSE)
    project.up()
    assert len(api.list_devices(2, 3)) == 3
    project.destroy()
    assert api.list_devices(2, 3) == []
    assert api.list_devices(2, 4) == []
