"""Thousands of seeded schedules of one site change: random edits (hardware replacement, moves into
freed zones, swaps, rotations, type changes, adoptions, zones held by undeclared devices, prune),
random engine orderings, random API faults, a fake clock. After every run: no duplicate, no kept
device recreated, nothing undeclared touched without prune, the other site untouched; after a clean
run: every declared device as declared, real conflicts reported naming their holder, state == API.

A failing seed replays exactly: ``CHEKT_SCHEDULE_SEED=<seed> pytest tests/resources/test_schedules.py``.
``CHEKT_SCHEDULES=<n>`` runs more (the default keeps ``make test`` short).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.resources.simulation import (
    DEALER,
    OTHER_SITE,
    SITE,
    Engine,
    FakeClock,
    Faults,
    SimApi,
    device_inputs,
)

SCHEDULES = int(os.environ.get("CHEKT_SCHEDULES", "2000"))
ONE_SEED = os.environ.get("CHEKT_SCHEDULE_SEED")
ZONES = [f"{n:03d}" for n in range(1, 60)]
TYPES = ("camera", "bridge")


@dataclass
class Scenario:
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]
    strays: dict[str, dict[str, Any]]
    prune: bool
    expected_failures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """external id -> words its error must contain."""
    replaced: set[str] = field(default_factory=set)


def device_row(rng: random.Random, zone: str, device_type: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"device_type": device_type or rng.choice(TYPES), "zone_number": zone}
    if rng.random() < 0.5:
        row["name"] = rng.choice(["Front", "Back", "Dock", "Gate"])
    if rng.random() < 0.2:
        row["mac"] = rng.choice(["aa", "bb"])
    return row


def scenario(rng: random.Random) -> Scenario:
    free = rng.sample(ZONES, len(ZONES))
    before = {f"d{i}": device_row(rng, free.pop()) for i in range(rng.randint(0, 7))}
    strays = {f"stray{i}": device_row(rng, free.pop()) for i in range(rng.randint(0, 3))}
    after = {key: dict(row) for key, row in before.items()}
    removed = rng.sample(sorted(after), k=rng.randint(0, len(after) // 2))
    freed = [after.pop(key)["zone_number"] for key in removed]
    prune = rng.random() < 0.25
    plan = Scenario(before, after, strays, prune)
    for index, zone in enumerate(freed):  # hardware replacement, or a kept device moving in
        kept = sorted(k for k in after if k in before)
        if kept and rng.random() < 0.3:
            mover = rng.choice(kept)
            free.append(after[mover]["zone_number"])
            after[mover]["zone_number"] = zone
        elif rng.random() < 0.7:
            after[f"new{index}"] = device_row(rng, zone)
    kept = sorted(k for k in after if k in before)
    if len(kept) >= 2 and rng.random() < 0.4:  # a swap or a rotation
        cycle = rng.sample(kept, k=min(len(kept), rng.choice([2, 3])))
        zones = [after[k]["zone_number"] for k in cycle]
        for key, zone in zip(cycle, zones[1:] + zones[:1], strict=True):
            after[key]["zone_number"] = zone
    for key in kept:
        roll = rng.random()
        if roll < 0.15:
            after[key]["device_type"] = "bridge" if after[key]["device_type"] == "camera" else "camera"
            plan.replaced.add(key)
        elif roll < 0.35:
            after[key]["name"] = rng.choice(["Renamed", "Lobby"])
    for index in range(rng.randint(0, 2)):
        after[f"fresh{index}"] = device_row(rng, free.pop())
    for stray, row in strays.items():
        roll = rng.random()
        if roll < 0.3:  # a new device wants the stray's zone
            after[f"blocked-{stray}"] = device_row(rng, row["zone_number"])
            if not prune:
                plan.expected_failures[f"blocked-{stray}"] = (
                    repr(stray),
                    repr(row["zone_number"]),
                    "no site file declares",
                )
        elif roll < 0.5:  # the file declares the stray: adopted, or refused for its type
            wanted = (
                dict(row)
                if rng.random() < 0.6
                else {**row, "device_type": "bridge" if row["device_type"] == "camera" else "camera"}
            )
            after[stray] = wanted
            if wanted["device_type"] != row["device_type"]:
                plan.expected_failures[stray] = ("already exists", f"as a {row['device_type']}")
    return plan


def live(api: SimApi, site_id: int = SITE) -> list[dict[str, Any]]:
    return api.store.list_devices(DEALER, site_id)


@dataclass(frozen=True)
class Baseline:
    """The API after the first `up`: what later runs may and may not change."""

    ids: dict[str, int]
    strays: list[dict[str, Any]]
    other_site: list[dict[str, Any]]

    @classmethod
    def of(cls, api: SimApi, plan: Scenario) -> Baseline:
        devices = live(api)
        return cls(
            {d["external_device_id"]: d["device_id"] for d in devices},
            [d for d in devices if d["external_device_id"] in plan.strays],
            live(api, OTHER_SITE),
        )


def check_safety(api: SimApi, plan: Scenario, before: Baseline) -> None:
    ids_before, strays_before, other_before, pruned = before.ids, before.strays, before.other_site, plan.prune
    devices = live(api)
    duplicates = [k for k, n in Counter(d["external_device_id"] for d in devices).items() if n > 1]
    assert not duplicates, f"duplicates: {duplicates}"
    by_external = {d["external_device_id"]: d for d in devices}
    for key, device_id in ids_before.items():  # a kept device is never deleted and created again
        if key in plan.after and key not in plan.replaced and key in by_external:
            assert by_external[key]["device_id"] == device_id, f"{key} was recreated"
        if key in plan.after and key not in plan.replaced:
            assert key in by_external, f"{key} was lost"
    if not pruned:
        for stray in strays_before:
            if stray["external_device_id"] in plan.after:
                continue  # declared: adopted (or refused), no longer undeclared
            assert stray in devices, f"undeclared {stray['external_device_id']} was touched"
    assert live(api, OTHER_SITE) == other_before, "a site no file declares was touched"


def check_converged(api: SimApi, engine: Engine, plan: Scenario, failures: dict[str, str]) -> None:
    by_external = {d["external_device_id"]: d for d in live(api)}
    for key, row in plan.after.items():
        if key in plan.expected_failures:
            assert key in failures, f"{key} should have failed"
            for words in plan.expected_failures[key]:
                assert words in failures[key], (key, failures[key])
            continue
        assert key not in failures, (key, failures.get(key))
        found = by_external.get(key)
        assert found is not None, f"{key} missing"
        for name, value in row.items():
            assert found[name] == value, (key, name, found[name], value)
        assert engine.stack.devices[key][0] == str(found["device_id"]), f"state of {key} != API"
    zones = Counter(d["zone_number"] for d in by_external.values())
    assert not [z for z, n in zones.items() if n > 1], f"zones held twice: {zones}"
    allowed = set(plan.after) | (set() if plan.prune else set(plan.strays))
    extra = set(by_external) - allowed
    assert not extra, f"left in CHeKT: {extra}"
    for key, (device_id, _) in engine.stack.devices.items():
        assert key in by_external and str(by_external[key]["device_id"]) == device_id, (
            f"state has stale {key}"
        )


def run_schedule(seed: int) -> None:
    rng = random.Random(seed)
    plan = scenario(rng)
    clock = FakeClock()
    api = SimApi(rng, unique=rng.random() < 0.5)
    for key, row in plan.strays.items():
        api.store.create_device(DEALER, SITE, {"external_device_id": key, **row}, "oe")
    api.store.create_device(
        DEALER,
        OTHER_SITE,
        {"external_device_id": "elsewhere", "device_type": "camera", "zone_number": "001"},
        "oe",
    )
    engine = Engine(api, rng, clock)
    first = engine.run(plan.before, prune=False, stop_at_failure=False)
    assert not first.failures and not first.record_failed, first
    before = Baseline.of(api, plan)

    if rng.random() < 0.5:
        # One `up`, no faults, any engine order: it converges (the bar of the issue). The real engine stops
        # at the first failure; the provider reports failures last (tests/resources/test_site_provider.py),
        # which a single-threaded engine cannot show, so with expected failures it runs to the end.
        one = engine.run(plan.after, prune=plan.prune, stop_at_failure=not plan.expected_failures,
                         refresh=rng.random() < 0.3)  # fmt: skip
        assert not one.record_failed, one.record_failed
        check_safety(api, plan, before)
        check_converged(api, engine, plan, one.failures)
    else:
        api.faults = Faults.random(rng)  # the change through faults, in a random engine order
        engine.run(plan.after, prune=plan.prune, with_record=rng.random() < 0.85,
                   stop_at_failure=rng.random() < 0.5, refresh=rng.random() < 0.3)  # fmt: skip
        check_safety(api, plan, before)
        api.faults = Faults()  # then a clean run converges (a run stopped early leaves work for it)
        final = engine.run(plan.after, prune=plan.prune, stop_at_failure=False, refresh=rng.random() < 0.5)
        assert not final.record_failed, final.record_failed
        check_safety(api, plan, before)
        check_converged(api, engine, plan, final.failures)
    check_no_changes(engine, plan)


def check_no_changes(engine: Engine, plan: Scenario) -> None:
    """A preview after convergence plans nothing (but the expected failures)."""
    sites, devices = engine.preview_providers()
    news = sites.check(engine.stack.record or {}, {"dealer_id": DEALER, "site_id": SITE, "prune": plan.prune,
                                                   "devices": plan.after}).inputs  # fmt: skip
    assert engine.stack.record is not None
    assert sites.diff("2/3", engine.stack.record, dict(news)).changes == bool(plan.expected_failures)
    for key, (device_id, outs) in engine.stack.devices.items():
        assert not devices.diff(device_id, outs, device_inputs(key, plan.after[key])).changes, key


def test_seeded_schedules_converge_safely(record_property: Any) -> None:
    seeds = [int(ONE_SEED)] if ONE_SEED else range(SCHEDULES)
    started = time.perf_counter()
    for seed in seeds:
        try:
            run_schedule(seed)
        except AssertionError as failure:
            pytest.fail(f"seed {seed} failed (replay: CHEKT_SCHEDULE_SEED={seed}): {failure}", pytrace=True)
    elapsed = time.perf_counter() - started
    record_property("schedules", len(seeds))
    SUMMARY.append(f"seeded schedules: {len(seeds)} in {elapsed:.1f} s")


SUMMARY: list[str] = []
