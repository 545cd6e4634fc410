"""The benchmarks keep working: a tiny engine benchmark (real CLI, project and floor) and the provider
benchmark. Structure only — never timing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.engine_bench import (
    Cell,
    ListedDevices,
    dealer_of,
    markdown,
    provider_processes,
    run_cell,
    site_files,
)

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import LocalServer
from tests.e2e.harness import REPO

OPS = ("up", "update", "destroy")


def test_engine_benchmark_measures_project_and_floor(pulumi_bin: Path, tmp_path: Path) -> None:
    cell = Cell(devices=4, sites=2, latency_ms=0, checkpoints="skipped")
    results = run_cell(cell, OPS, pulumi_bin, tmp_path)

    assert [(r.op, r.variant) for r in results if r.op == "up"] == [("up", "project"), ("up", "floor")]
    assert [(r.op, r.variant) for r in results if r.op == "update"] == [
        ("update", "floor"),
        ("update", "project"),
    ]
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    by = {(r.op, r.variant): r for r in results}
    assert by["up", "project"].api_devices_after == 4
    assert by["up", "project"].requests.get("create") == 2  # one bulk request per site
    assert by["update", "project"].requests.get("update") == 2
    assert by["destroy", "project"].api_devices_after == 0
    assert all(r.requests == {} for r in results if r.variant == "floor"), "the floor made API calls"
    for result in results:
        expected = {"engine", "provider"} if result.op == "destroy" else {"engine", "program", "provider"}
        assert expected <= set(result.roles), (result.op, result.variant, result.roles)
        assert result.roles["engine"]["peak_rss_mib"] > 0
        assert result.cpu_total_s > 0
        assert result.devices_listed is not None

    table = markdown(results)
    assert table.count("\n| 4 | 2 | 0 ms | skipped | ") == 2 * len(OPS)
    assert "| up |" in table and "x |" in table  # a ratio was computed


def test_provider_processes_variant_runs_two_provider_processes_on_its_own_dealer(
    pulumi_bin: Path, tmp_path: Path
) -> None:
    cell = Cell(devices=4, sites=2, latency_ms=0, checkpoints="skipped")
    variants = ("project", "project+processes2")
    results = run_cell(cell, ("up", "destroy"), pulumi_bin, tmp_path, variants=variants)

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    by = {(r.op, r.variant): r for r in results}
    assert by["up", "project"].roles["provider"]["processes"] == 1
    assert by["up", "project+processes2"].roles["provider"]["processes"] == 2
    # Each variant counts only its own dealer's devices: the other's 4 are not in its numbers.
    assert by["up", "project"].api_devices_after == 4
    assert by["up", "project+processes2"].api_devices_after == 4
    assert by["destroy", "project+processes2"].api_devices_after == 0


def test_naive_variant_sends_one_request_per_device_operation(pulumi_bin: Path, tmp_path: Path) -> None:
    cell = Cell(devices=4, sites=2, latency_ms=0, checkpoints="skipped")
    ops = ("up", "preview", "refresh", "update", "destroy")
    variants = ("project", "floor", "naive")
    results = run_cell(cell, ops, pulumi_bin, tmp_path, variants=variants)

    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    naive = {r.op: r for r in results if r.variant == "naive"}
    assert set(naive) == set(ops)
    # One bulk create / bulk update / bulk delete of one item per device, one GET per device on refresh,
    # no list at all (no snapshot), one token per CLI run that calls the provider.
    assert naive["up"].requests == {"create": 4, "token": 1}
    assert naive["preview"].requests == {}
    assert naive["refresh"].requests == {"get": 4, "token": 1}
    assert naive["update"].requests == {"update": 4, "token": 1}
    assert naive["destroy"].requests == {"delete": 4, "token": 1}
    assert naive["up"].api_devices_after == 4
    assert naive["update"].api_devices_after == 4
    assert naive["destroy"].api_devices_after == 0
    # Its own dealer: the project's devices were counted apart and converged as before.
    by = {(r.op, r.variant): r for r in results}
    assert by["up", "project"].api_devices_after == 4
    assert "| naive: wall s / program CPU s |" in markdown(results)


def test_variant_dealers_and_process_counts() -> None:
    variants = ["floor", "project", "project+processes4", "naive"]
    assert [dealer_of(v, variants) for v in variants] == [2, 2, 3, 4]
    assert [provider_processes(v) for v in variants] == [1, 1, 4, 1]


def test_listed_devices_counts_what_list_calls_return(server: LocalServer, api: ChektClient) -> None:
    listed = ListedDevices(server)
    server.admin.seed(
        [
            {
                "dealer_id": 2,
                "sites": [
                    {
                        "site_id": 3,
                        "devices": [
                            {
                                "external_device_id": f"cam-{n}",
                                "device_type": "camera",
                                "zone_number": f"{n:03d}",
                            }
                            for n in range(3)
                        ],
                    }
                ],
            }
        ]
    )
    assert listed.total() == 0
    api.list_devices(2, 3)
    api.list_devices(2, 3)
    api.list_devices(2, 4)
    assert listed.total() == 6


def test_site_files_spread_devices_and_rename_all() -> None:
    files = site_files(Cell(devices=25, sites=10, latency_ms=0, checkpoints="default"), renamed=True)
    counts = [len(site["devices"]) for site in files.values()]
    assert len(files) == 10 and sum(counts) == 25 and max(counts) - min(counts) == 1
    ids = [d["external_device_id"] for site in files.values() for d in site["devices"]]
    assert len(set(ids)) == 25
    assert all(d["name"].endswith(" renamed") for site in files.values() for d in site["devices"])


def test_provider_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_provider.py", "--devices", "5", "--threads", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["create", "refresh", "diff"]
