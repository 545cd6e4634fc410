"""Site sets with the real engine: what a change does to a whole site converges in one `pulumi up`.

The engine deletes the resources a program no longer declares only after every create and update,
so before the per-site record existed a new device could never take the zone of a device removed in
the same change: hardware replacement, the most common field edit, failed every time.
"""

from __future__ import annotations

from typing import Any

from pulumi_chekt.api import ChektClient
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject


def live(api: ChektClient, dealer_id: int, site_id: int) -> dict[str, dict[str, Any]]:
    return {d["external_device_id"]: d for d in api.list_devices(dealer_id, site_id)}


BEFORE = {
    "replace.yaml": site(2, 3, device("old-cam", "007", name="Old"), device("keeper", "001")),
    "additional.yaml": site(
        2, 4, device("old-cam", "010", additional_zone_numbers="011,012"), device("keeper", "020")
    ),
    "freed.yaml": site(5, 6, device("cam-a", "001"), device("cam-b", "002")),
    "retype.yaml": site(7, 8, device("unit", "005"), device("other", "006")),
}
AFTER = {
    # hardware replacement: old-cam leaves the file, new-cam takes its zone
    "replace.yaml": site(2, 3, device("new-cam", "007", name="New"), device("keeper", "001")),
    # replacement into one of the old device's additional zones
    "additional.yaml": site(2, 4, device("new-cam", "011"), device("keeper", "020")),
    # cam-a moves into the zone of cam-b, which the same change removes
    "freed.yaml": site(5, 6, device("cam-a", "002")),
    # a device-type change (a replacement, delete first) next to an ordinary update
    "retype.yaml": site(7, 8, device("unit", "005", device_type="bridge"), device("other", "006", name="x")),
}


def test_replacements_and_moves_into_freed_zones_converge_in_one_up(
    project: PulumiProject, api: ChektClient
) -> None:
    for name, declared in BEFORE.items():
        project.write_site(name, declared)
    project.up()
    before = {key: live(api, *key) for key in ((2, 3), (2, 4), (5, 6), (7, 8))}

    for name, declared in AFTER.items():
        project.write_site(name, declared)
    project.up()  # one run, every site

    replaced = live(api, 2, 3)
    assert set(replaced) == {"new-cam", "keeper"}
    assert replaced["new-cam"]["zone_number"] == "007"
    assert replaced["keeper"]["device_id"] == before[(2, 3)]["keeper"]["device_id"]
    additional = live(api, 2, 4)
    assert set(additional) == {"new-cam", "keeper"}
    assert additional["new-cam"]["zone_number"] == "011"
    freed = live(api, 5, 6)
    assert set(freed) == {"cam-a"}
    assert freed["cam-a"]["zone_number"] == "002"
    assert freed["cam-a"]["device_id"] == before[(5, 6)]["cam-a"]["device_id"]  # moved, not replaced
    retyped = live(api, 7, 8)
    assert retyped["unit"]["device_type"] == "bridge"
    assert retyped["unit"]["device_id"] != before[(7, 8)]["unit"]["device_id"]
    assert retyped["other"]["name"] == "x"

    project.run("preview", "--expect-no-changes")


def test_a_targeted_up_of_one_device_takes_the_per_device_path(
    project: PulumiProject, api: ChektClient
) -> None:
    project.write_site("store.yaml", site(2, 3, device("a", "001", name="A"), device("b", "002", name="B")))
    project.up()
    project.write_site("store.yaml", site(2, 3, device("a", "001", name="A2"), device("b", "002", name="B2")))
    urn = next(u for u in project.preview_json()["steps"] if u["urn"].endswith("::2/3/a"))["urn"]
    project.run("up", "--yes", "--skip-preview", "--target", urn)
    now = live(api, 2, 3)
    assert (now["a"]["name"], now["b"]["name"]) == ("A2", "B")  # only the targeted device
    project.up()  # the rest, and the record learns what the targeted run wrote
    now = live(api, 2, 3)
    assert (now["a"]["name"], now["b"]["name"]) == ("A2", "B2")
    project.run("preview", "--expect-no-changes")
