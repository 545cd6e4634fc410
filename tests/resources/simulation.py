"""A seeded, single-threaded world for the site writes: a simulated CHeKT API (the local server's own
store and bulk rules, no HTTP) with seeded faults, a fake clock, and an engine that drives the real
``SiteProvider`` and ``DeviceProvider`` the way Pulumi does — the site record's step first, then the
devices' diffs and steps interleaved in a seeded order, removals last, stopping (or not) at the first
failure. One seed fixes every decision, so a failing seed replays exactly (FoundationDB-style).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_chekt.api import (
    BulkItemResult,
    BulkResult,
    ChektError,
    ChektNotFound,
    ChektServerError,
    Device,
)
from pulumi_chekt.localserver import bulk
from pulumi_chekt.localserver.faults import FaultInjector
from pulumi_chekt.localserver.store import Store
from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.resources.ledger import Ledger
from pulumi_chekt.resources.round_runner import sequential
from pulumi_chekt.resources.runtime import ProviderRuntime
from pulumi_chekt.resources.settings import ProviderSettings
from pulumi_chekt.resources.site_provider import SiteProvider

DEALER, SITE, OTHER_SITE = 2, 3, 4
PARTNER = "adc"


class FakeClock:
    """Time that moves only when someone waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)

    def pause(self, _condition: threading.Condition, seconds: float) -> None:
        self.now += max(0.001, seconds)


@dataclass
class Faults:
    """Chances per request / per item. ``lost``: processed, answer lost (a create's may-have-happened)."""

    refused: float = 0.0
    lost: float = 0.0
    item_transient: float = 0.0
    item_final: float = 0.0

    @classmethod
    def random(cls, rng: random.Random) -> Faults:
        if rng.random() < 0.3:
            return cls()
        return cls(
            refused=rng.choice([0.0, 0.3, 0.5]),
            lost=rng.choice([0.0, 0.1, 0.25]),
            item_transient=rng.choice([0.0, 0.1, 0.3]),
            item_final=rng.choice([0.0, 0.0, 0.05]),
        )


class SimApi:
    """The four device calls over the local server's store, faults drawn from ``rng``.

    Faults surface as the API client would surface them after its own retries: an idempotent call
    whose answer was lost is simply sent again (so a delete may answer 404 for a device it deleted);
    a create's lost answer is raised as a 502 (it may have been processed)."""

    def __init__(self, rng: random.Random, *, unique: bool) -> None:
        self.rng = rng
        self.faults = Faults()
        self.store = Store(unique_external_ids=unique, unique_zones=unique)
        self.store.add_sites({DEALER: [SITE, OTHER_SITE]})
        self._no_faults = FaultInjector()
        self.requests = 0

    def _error(self, method: str, status: int) -> ChektServerError:
        return ChektServerError(f"{method} -> {status}: simulated", method=method, path="/sim", status=status)

    def _refuse(self, method: str) -> None:
        """A request refused even after the client's own retries (rare: ``refused`` cubed)."""
        self.requests += 1
        if self.rng.random() < self.faults.refused**3:
            raise self._error(method, 503)

    def list_devices(self, dealer_id: int, site_id: int) -> list[Device]:
        self._refuse("GET")
        if not self.store.site_exists(dealer_id, site_id):
            raise ChektNotFound("no such site", method="GET", path="/sim", status=404)
        return self.store.list_devices(dealer_id, site_id)

    def _items(self, outcome: bulk.BulkOutcome, requests: list[dict[str, Any]]) -> BulkResult:
        items = [
            BulkItemResult(index, requests[index], r["is_successful"], r.get("status_code"), r.get("error_message") or "", r.get("res"))
            for index, r in enumerate(outcome.results)
        ]  # fmt: skip
        ok = sum(1 for item in items if item.is_successful)
        return BulkResult(ok, len(items) - ok, items, trace_id="sim")

    def _faulted(self, requests: Sequence[Mapping[str, Any]]) -> list[tuple[int, int] | None]:
        """Per item: a failure (status) that keeps it from being applied, or None."""
        drawn: list[tuple[int, int] | None] = []
        for index in range(len(requests)):
            roll = self.rng.random()
            if roll < self.faults.item_final:
                drawn.append((index, 422))
            elif roll < self.faults.item_final + self.faults.item_transient:
                drawn.append((index, self.rng.choice([429, 500, 502, 503, 504])))
            else:
                drawn.append(None)
        return drawn

    def _bulk(self, kind: str, dealer_id: int, site_id: int, requests: list[dict[str, Any]]) -> BulkResult:
        outcome = bulk.BulkOutcome()
        with self.store.batch():
            for request, fault in zip(requests, self._faulted(requests), strict=True):
                if fault is not None:
                    outcome.fail(request, fault[1], "simulated item failure")
                    continue
                single = self._apply(kind, dealer_id, site_id, request)
                outcome.results.extend(single.results)
        return self._items(outcome, requests)

    def _apply(self, kind: str, dealer_id: int, site_id: int, request: dict[str, Any]) -> bulk.BulkOutcome:
        if kind == "create":
            return bulk.create_devices(
                self.store, self._no_faults, dealer_id, site_id, [request], partner=PARTNER
            )
        if kind == "update":
            return bulk.update_devices(self.store, self._no_faults, dealer_id, site_id, [request])
        return bulk.delete_devices(self.store, self._no_faults, dealer_id, site_id, [request["device_id"]])

    def create_devices(self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]) -> BulkResult:
        self._refuse("POST")
        result = self._bulk("create", dealer_id, site_id, [dict(i) for i in items])
        if self.rng.random() < self.faults.lost:
            raise self._error("POST", 502)  # processed; the answer is lost
        return result

    def update_devices(self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]) -> BulkResult:
        self._refuse("PUT")
        result = self._bulk("update", dealer_id, site_id, [dict(i) for i in items])
        if self.rng.random() < self.faults.lost:  # the client sends it again
            result = self._bulk("update", dealer_id, site_id, [dict(i) for i in items])
        return result

    def delete_devices(self, dealer_id: int, site_id: int, device_ids: Sequence[int]) -> BulkResult:
        self._refuse("POST")
        requests = [{"device_id": i} for i in device_ids]
        result = self._bulk("delete", dealer_id, site_id, requests)
        if self.rng.random() < self.faults.lost:  # the client sends it again: gone devices answer 404
            result = self._bulk("delete", dealer_id, site_id, requests)
        return result


# --- the engine ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """What the engine's state holds: the site record's outputs and each device's id and outputs."""

    record: dict[str, Any] | None = None
    devices: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass
class RunResult:
    failures: dict[str, str] = field(default_factory=dict)
    """external id -> error text, for each device step that failed."""
    record_failed: str = ""
    stopped: bool = False


def device_inputs(external_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"dealer_id": DEALER, "site_id": SITE, "external_device_id": external_id, **row}


class Engine:
    """Drives the providers as Pulumi does for one SiteDevices program, one run at a time."""

    def __init__(self, api: SimApi, rng: random.Random, clock: FakeClock) -> None:
        self.api = api
        self.rng = rng
        self.clock = clock
        self.stack = Stack()

    def preview_providers(self) -> tuple[SiteProvider, DeviceProvider]:
        """Providers for a preview (diffs only)."""
        return self._providers()

    def _providers(self) -> tuple[SiteProvider, DeviceProvider]:
        """A new provider process: a fresh runtime shared by the two providers."""
        runtime = ProviderRuntime(
            ProviderSettings(),
            client=self.api,
            clock=self.clock,
            sleep=self.clock.sleep,
            ledger=Ledger(self.clock, quiet_seconds=0.0),
            map_requests=sequential,
            pause=self.clock.pause,
        )
        sites, devices = SiteProvider(), DeviceProvider()
        sites._runtime = runtime
        devices._runtime = runtime
        return sites, devices

    def run(self, declared: Mapping[str, dict[str, Any]], *, prune: bool, with_record: bool = True,
            stop_at_failure: bool = True, refresh: bool = False) -> RunResult:  # fmt: skip
        sites, devices = self._providers()
        result = RunResult()
        if refresh:
            try:
                self._refresh(sites, devices)
            except ChektError as error:  # the engine stops: nothing written
                result.record_failed = f"refresh: {error}"
                return result
        news = sites.check(self.stack.record or {}, {"dealer_id": DEALER, "site_id": SITE, "prune": prune,
                                                      "devices": dict(declared)})  # fmt: skip
        assert not news.failures, news.failures
        if with_record:
            try:
                if self.stack.record is None:
                    self.stack.record = dict(sites.create(dict(news.inputs)).outs or {})
                elif sites.diff("2/3", self.stack.record, dict(news.inputs)).changes:
                    self.stack.record = dict(
                        sites.update("2/3", self.stack.record, dict(news.inputs)).outs or {}
                    )
            except ChektError as error:
                result.record_failed = str(error)
                return result
        self._device_steps(devices, declared, result, stop_at_failure)
        return result

    def _refresh(self, sites: SiteProvider, devices: DeviceProvider) -> None:
        for external_id, (device_id, outs) in list(self.stack.devices.items()):
            read = devices.read(device_id, outs)
            if read.id is None:
                del self.stack.devices[external_id]
            else:
                self.stack.devices[external_id] = (device_id, dict(read.outs or {}))
        if self.stack.record is not None:
            read = sites.read("2/3", self.stack.record)
            self.stack.record = dict(read.outs or {}) if read.id is not None else None

    def _device_steps(self, devices: DeviceProvider, declared: Mapping[str, dict[str, Any]], result: RunResult,
                      stop_at_failure: bool) -> None:  # fmt: skip
        order = list(declared)
        self.rng.shuffle(order)
        pending: list[tuple[str, str, Any]] = []  # (kind, external id, payload) ready to run
        registered = 0
        while registered < len(order) or pending:
            if registered < len(order) and (not pending or self.rng.random() < 0.5):
                pending += self._diff(devices, order[registered], declared[order[registered]])
                registered += 1
                continue
            step = pending.pop(self.rng.randrange(len(pending)))
            if step[0] == "replace":  # delete first; its create becomes runnable once the delete is done
                device_id, outs, inputs = step[2]
                done = self._step(devices, ("delete", step[1], (device_id, outs)), result)
                if done:
                    pending.append(("create", step[1], inputs))
            else:
                done = self._step(devices, step, result)
            if not done and stop_at_failure:
                result.stopped = True
                return
        removals = [e for e in self.stack.devices if e not in declared]
        self.rng.shuffle(removals)
        for external_id in removals:  # after every create and update
            device_id, outs = self.stack.devices[external_id]
            if (
                not self._step(devices, ("delete", external_id, (device_id, outs)), result)
                and stop_at_failure
            ):
                result.stopped = True
                return

    def _diff(
        self, devices: DeviceProvider, external_id: str, row: dict[str, Any]
    ) -> list[tuple[str, str, Any]]:
        checked = devices.check({}, device_inputs(external_id, row))
        assert not checked.failures, checked.failures
        inputs = dict(checked.inputs)
        if external_id not in self.stack.devices:
            return [("create", external_id, inputs)]
        device_id, outs = self.stack.devices[external_id]
        diff = devices.diff(device_id, outs, inputs)
        if diff.replaces:
            return [("replace", external_id, (device_id, outs, inputs))]
        if diff.changes:
            return [("update", external_id, inputs)]
        return []

    def _step(self, devices: DeviceProvider, step: tuple[str, str, Any], result: RunResult) -> bool:
        kind, external_id, payload = step
        try:
            if kind == "create":
                created = devices.create(payload)
                self.stack.devices[external_id] = (created.id, dict(created.outs or {}))
            elif kind == "update":
                device_id, outs = self.stack.devices[external_id]
                updated = devices.update(device_id, outs, payload)
                self.stack.devices[external_id] = (device_id, dict(updated.outs or {}))
            else:
                device_id, outs = payload
                devices.delete(device_id, outs)
                del self.stack.devices[external_id]
        except ChektError as error:
            result.failures[external_id] = str(error)
            return False
        return True
