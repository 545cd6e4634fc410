"""Issue 8 item 7, the short campaign: one seed of ``benchmarks/chaos.py`` (60 devices over 2 sites, the
same seeded fault mix, uniqueness off so a duplicate would show) must converge within 2 plain
`pulumi up` runs with 0 duplicates, 0 lost and the stack state equal to the API.

The full campaign (250 devices, 5 seeds) is ``make chaos``. The second test proves the campaign's
counters see what they count, with no Pulumi run involved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from benchmarks.chaos import (
    DEALER,
    compare,
    declared_sites,
    expected_api_fields,
    run_seed,
    server_config,
    table,
)

from pulumi_chekt.localserver import LocalServer

SEED = 1
DEVICES = 60
SITES = 2
MAX_RUNS = 2
COMMAND_TIMEOUT = 240  # seconds per pulumi command; a hung run fails the test instead of hanging it


@pytest.mark.timeout(2 * COMMAND_TIMEOUT + 120)
def test_one_seed_converges_through_faults_within_two_runs(tmp_path: Path, pulumi_bin: Path) -> None:
    result = run_seed(
        SEED,
        devices=DEVICES,
        sites=SITES,
        max_runs=MAX_RUNS,
        workdir=tmp_path,
        bin_dir=pulumi_bin,
        timeout=COMMAND_TIMEOUT,
        preview=False,
    )
    report = table([result]) + "".join(
        f"\nup #{n}: exit {run.exit_code}; " + "; ".join(run.errors) for n, run in enumerate(result.runs, 1)
    )
    assert result.converged_at is not None, report
    assert result.final.duplicates == 0, report
    assert result.final.lost == 0, report
    assert result.final.state_vs_api == 0, report
    assert result.final.pending_operations == 0, report
    assert result.final.field_mismatches == 0, report


def _create_item(device: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in expected_api_fields(device).items() if v is not None}
    return {"external_device_id": device["external_device_id"], **fields}


def _export(server: LocalServer, sites: list[int]) -> dict[str, Any]:
    """A `pulumi stack export` document whose Device resources are exactly what the API holds now."""
    resources = [
        {
            "urn": f"urn:pulumi:e2e::chekt-e2e::pulumi-python:dynamic/chekt:Device::{DEALER}/{site}/{d['external_device_id']}",
            "type": "pulumi-python:dynamic/chekt:Device",
            "custom": True,
            "outputs": {**d, "dealer_id": DEALER, "site_id": site},
        }
        for site in sites
        for d in server.state.store.list_devices(DEALER, site)
    ]
    return {"deployment": {"resources": resources}}


def test_the_campaign_counts_duplicates_lost_devices_and_mismatches() -> None:
    layout = declared_sites(8, 2)
    sites = list(layout)
    with LocalServer(server_config(SEED, sites, faults={})) as server:
        server.admin.seed(
            [
                {
                    "dealer_id": DEALER,
                    "sites": [{"site_id": s, "devices": [_create_item(d) for d in layout[s]]} for s in sites],
                }
            ]
        )
        state = _export(server, sites)
        assert compare(server, layout, state).converged

        # a device created twice (uniqueness is off, as in the campaign): one duplicate the state lacks
        first = layout[sites[0]][0]
        server.admin.seed(
            [{"dealer_id": DEALER, "sites": [{"site_id": sites[0], "devices": [_create_item(first)]}]}]
        )
        found = compare(server, layout, state)
        assert (found.duplicates, found.lost, found.state_vs_api) == (1, 0, 1)

        # a lost device and a changed field at the other site
        store = server.state.store
        victim, renamed = store.list_devices(DEALER, sites[1])[:2]
        store.delete_device(DEALER, sites[1], victim["device_id"])
        store.update_device(DEALER, sites[1], renamed["device_id"], {"name": "changed by hand"})
        found = compare(server, layout, state)
        assert (found.duplicates, found.lost, found.field_mismatches) == (1, 1, 1)
        assert found.state_vs_api == 2  # the duplicate's id, and the lost device still in the state
        assert not found.converged

        # a device in the API that no file declares, and a pending operation in the state
        store.create_device(
            DEALER,
            sites[1],
            {"external_device_id": "stray", "device_type": "camera", "zone_number": "999"},
            "adc",
        )
        pending = {"deployment": {**state["deployment"], "pending_operations": [{"type": "creating"}]}}
        found = compare(server, layout, pending)
        assert (found.extra, found.pending_operations) == (1, 1)
