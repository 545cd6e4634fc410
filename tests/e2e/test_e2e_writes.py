"""Issues 8 and 12 with the real engine: zone swaps and rotations converge in one `up`, a failed
device is a few readable lines (status, trace id, no traceback), and adoption is visible."""

from __future__ import annotations

import re
from typing import Any

from pulumi_chekt.api import ChektClient
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject
from tests.routes import CREATE, TOKEN, UPDATE, count


def zones(api: ChektClient) -> dict[str, str]:
    return {d["external_device_id"]: d["zone_number"] for d in api.list_devices(2, 3)}


def test_a_zone_swap_and_a_rotation_converge_in_one_up(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    start = {"a": "001", "b": "002", "x": "011", "y": "012", "z": "013", "keep": "020"}
    project.write_site("store.yaml", site(2, 3, *(device(name, zone) for name, zone in start.items())))
    project.up()
    wanted = {"a": "002", "b": "001", "x": "012", "y": "013", "z": "011", "keep": "020"}
    project.write_site("store.yaml", site(2, 3, *(device(name, zone) for name, zone in wanted.items())))
    result = project.up()  # one plain `up`, no temporary zone invented by hand
    assert zones(api) == wanted, result.output[-3000:]
    project.run("preview", "--expect-no-changes")


def test_a_failed_device_is_a_few_lines_with_status_and_trace_id(project: PulumiProject, admin: Any) -> None:
    admin.set_faults(
        item_failures=[
            {"external_device_id": "cam-bad", "status_code": 422, "error_message": "zone locked by panel"}
        ]
    )
    project.write_site("store.yaml", site(2, 3, device("cam-bad", "001")))
    result = project.run("up", "--yes", "--skip-preview", check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "cam-bad" in line or "zone locked" in line]
    failure = [line for line in lines if "zone locked by panel" in line]
    assert failure, result.output
    assert "status 422" in failure[0]
    assert re.search(r"trace id [0-9a-f-]{36}", failure[0])
    diagnostics = result.output.split("Diagnostics:")[-1]
    device_block = diagnostics.split("chekt:Device (2/3/cam-bad):")[1].strip().split("\n\n")[0].splitlines()
    assert len(device_block) == 1, diagnostics  # one line: what, why, status, trace id


def test_adopting_a_live_device_is_shown_as_a_warning_on_that_resource(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    made = api.create_devices(
        2, 3, [{"external_device_id": "cam-old", "device_type": "camera", "zone_number": "001"}]
    )
    device_id = made.items[0].device["device_id"]  # type: ignore[index]
    project.write_site("store.yaml", site(2, 3, device("cam-old", "001", name="Lobby")))
    result = project.up()
    diagnostics = result.output.split("Diagnostics:")[-1]
    attached = re.search(
        r"chekt:Device \(2/3/cam-old\):\n\s+warning: adopted existing device 'cam-old' \(device_id (\d+)\)",
        diagnostics,
    )
    assert attached is not None, diagnostics  # a warning of that resource, not a stray log line
    assert int(attached.group(1)) == device_id
    assert count(admin, CREATE) == 1  # this test's own create only
    assert count(admin, UPDATE) == 1  # the name was converged


def test_many_devices_are_written_in_few_requests(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    names = [f"cam-{n:02d}" for n in range(24)]
    project.write_site("store.yaml", site(2, 3, *(device(name, f"{n:03d}") for n, name in enumerate(names))))
    project.up()
    assert sorted(zones(api)) == names
    assert count(admin, CREATE) <= 12  # was 24 creates and 24 lists


def test_explicit_provider_processes_take_over_a_stack_without_touching_a_device(
    project: PulumiProject, api: ChektClient, admin: Any
) -> None:
    project.write_site("a.yaml", site(2, 3, device("a1", "001"), device("a2", "002")))
    project.write_site("b.yaml", site(2, 4, device("b1", "001")))
    project.write_site("c.yaml", site(5, 6, device("c1", "001")))
    project.up()
    devices_before = {d["device_id"] for s in ((2, 3), (2, 4), (5, 6)) for d in api.list_devices(*s)}
    writes_before = count(admin, CREATE, UPDATE)

    project.run("config", "set", "chekt:providerProcesses", "2")
    result = project.up()
    summary = result.output.split("Resources:")[-1]
    # the 2 providers; no device and no site record (3) changed
    assert "+ 2 created" in summary and "11 unchanged" in summary, summary
    assert count(admin, CREATE, UPDATE) == writes_before  # moving to explicit providers writes nothing
    state = project.exported_state()
    assert state.count('"type": "pulumi:providers:pulumi-python"') == 2

    tokens = count(admin, TOKEN)
    project.refresh()
    assert count(admin, TOKEN) - tokens == 2  # two provider processes, each with its own client
    assert {d["device_id"] for s in ((2, 3), (2, 4), (5, 6)) for d in api.list_devices(*s)} == devices_before

    project.destroy()
    assert [d for s in ((2, 3), (2, 4), (5, 6)) for d in api.list_devices(*s)] == []
