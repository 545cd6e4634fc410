"""Coalesced, fault-tolerant writes for one site: the engine's concurrent creates, updates and deletes
become few bulk calls, and each item's outcome goes back to the resource that asked for it.

Why: the Pulumi SDK's dynamic provider server runs at most four calls at a time, each for one
device. Sending one request per device multiplies the API's latency and rate limits by the fleet.
Here, the first caller of an idle site sends at once; callers that arrive while a request is in
flight, or within a short window of a burst, are gathered into the next bulk call ("group commit").
One thread at a time leads a site; the others wait for their own result.

Per item (rules in ``api/retry.py``): a transient item failure (429/5xx) is re-sent for that item
alone, with backoff; a create that may have been processed (a lost answer, a 500/502/504) is looked
up by external_device_id in a fresh list of the site and re-sent only if it is not there; a conflict
(409) re-lists the site: the same external id is adopted, a zone held by a device that this run moves
too is ordered (``zone_order``: swaps and rotations step aside to a free zone), and a zone held by a
device that nothing moves is an error that names it. Every loop is bounded in attempts and time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_chekt.api import BulkItemResult, ChektClient, ChektError, ChektNotFound, Device
from pulumi_chekt.api.redaction import get_logger
from pulumi_chekt.api.retry import (
    ItemVerdict,
    RetryPolicy,
    backoff_seconds,
    item_verdict,
    may_have_been_processed,
)
from pulumi_chekt.resources.errors import DeviceOperationError, item_error
from pulumi_chekt.resources.fields import API_ONLY_FIELDS, UPDATABLE_FIELDS, api_item, comparable
from pulumi_chekt.resources.plans import Plan, RunPlans
from pulumi_chekt.resources.snapshot import SiteSnapshot, zone_of
from pulumi_chekt.resources.workers import BusyWorkers
from pulumi_chekt.resources.zone_order import ZoneMove, next_round

log = get_logger("pulumi_chekt.provider")  # redacted records

Kind = Literal["create", "update", "delete"]
WORKER_CHECK_SECONDS = 0.01


@dataclass(frozen=True)
class WriterPolicy:
    """Bounds of batching and of per-item retries."""

    max_batch: int = 100
    """Items per bulk request at most."""
    gather_target: int = 4
    """Stop gathering at this many items: the SDK's provider server runs four calls at a time."""
    max_window_seconds: float = 1.0
    """Longest wait for more items during a burst (never when the site is idle)."""
    idle_gap_seconds: float = 1.0
    """No arrival for this long means the site is idle: the next item goes out at once."""
    max_item_attempts: int = 8
    """Sends of one item at most (transient failures, lost answers, conflicts)."""
    max_seconds: float = 300.0
    """Time one item may take, waits and retries included."""
    holder_wait_seconds: float = 60.0
    """How long a write waits for a device being replaced in this run to free the zone it wants."""
    plan_wait_seconds: float = 5.0
    """How long a write waits for the diff of the device holding its zone before calling it a real
    conflict: the engine may run one device's update before the program has registered the other."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def differing(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Update fields (without device_id) that bring ``live`` to ``desired``; "" clears a field."""
    have, want = comparable(live), comparable(desired)
    return {key: want.get(key, "") for key in UPDATABLE_FIELDS if have.get(key) != want.get(key)}


@dataclass(eq=False)
class WriteOp:
    """One device's pending write and, once ``done``, its outcome."""

    kind: Kind
    external_id: str
    desired: dict[str, Any] = field(default_factory=dict)
    device_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    """Update fields to send (update, or a create that adopts a live device)."""
    plan: Plan | None = None
    """Set on a write made ahead of a device's own update, from the plan its diff recorded."""
    adopted: bool = False
    maybe_created: bool = False
    """A create of this item may have been processed: look it up before sending it again."""
    relisted: bool = False
    """The site was listed again before this write's zone conflict was called real."""
    attempts: int = 0
    not_before: float = 0.0
    started: float = 0.0
    waiting_since: float | None = None
    plan_wait_since: float | None = None
    last_error: ChektError | None = None
    done: bool = False
    device: Device | None = None
    error: ChektError | None = None

    @property
    def target_zone(self) -> str | None:
        """The zone this write moves its device to (None: the write does not change the zone)."""
        if self.kind == "create" and self.device_id is None:
            zone = self.desired.get("zone_number")
        else:
            zone = self.changes.get("zone_number")
        return zone.strip() if isinstance(zone, str) else None

    def succeed(self, device: Device) -> None:
        self.done, self.device = True, device

    def fail(self, error: ChektError) -> None:
        self.done, self.error = True, error


class _Arrivals:
    """How writes arrive at a site, to size the gathering window.

    Paced arrivals (the engine saving its state after every step lets one write through every few
    hundred milliseconds) are worth waiting for: holding a write for up to a second costs no wall
    time there, as the engine's state saves are the bottleneck. A chain of writes that depend on
    each other is not: after two windows in which nothing joined, writes go out at once until
    concurrent writes show up again.
    """

    WASTED_WINDOWS_LIMIT = 2

    def __init__(self) -> None:
        self.last = float("-inf")
        self.gap = 0.0
        self.wasted = 0

    def arrived(self, now: float, idle_gap: float) -> None:
        gap = now - self.last
        if gap >= idle_gap:
            self.gap = 0.0  # the site was idle: this write goes out at once
        else:
            self.gap = gap if self.gap == 0.0 else 0.7 * self.gap + 0.3 * gap
        self.last = now

    def window(self, now: float, policy: WriterPolicy) -> float:
        if self.gap == 0.0 or self.wasted >= self.WASTED_WINDOWS_LIMIT:
            return 0.0
        return min(policy.max_window_seconds, 4 * self.gap)

    def gathered(self, before_waiting: int, after_waiting: int, waited: bool) -> None:
        """Learn whether waiting helps: concurrent writes reset the count of wasted windows."""
        if before_waiting > 1 or after_waiting > before_waiting:
            self.wasted = 0
        elif waited:
            self.wasted += 1


class SiteWriter:
    """Every write to one site goes through here (one instance per site and provider process)."""

    def __init__(
        self,
        client: ChektClient,
        dealer_id: int,
        site_id: int,
        *,
        snapshot: SiteSnapshot,
        plans: RunPlans,
        policy: WriterPolicy | None = None,
        workers: BusyWorkers | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.site = (dealer_id, site_id)
        self.snapshot = snapshot
        self.plans = plans
        self.policy = policy or WriterPolicy()
        self._workers = workers or BusyWorkers()
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._pending: list[WriteOp] = []
        self._leading = False
        self._arrivals = _Arrivals()
        self._ahead_failed: set[int] = set()
        """Devices whose write ahead of time failed: not tried again, their own update will report."""
        self.requests: dict[Kind, int] = {"create": 0, "update": 0, "delete": 0}
        """Bulk requests sent per kind (tests and benchmarks read them)."""

    # --- what the provider calls ---------------------------------------------------------------

    def create(self, desired: Mapping[str, Any]) -> WriteOp:
        """Create the device, or adopt a live device with the same external_device_id."""
        op = WriteOp("create", str(desired["external_device_id"]), desired=dict(desired))
        return self._submit(op)

    def update(self, device_id: int, olds: Mapping[str, Any], desired: Mapping[str, Any]) -> WriteOp:
        """Send the fields that differ between the last known inputs ``olds`` and ``desired``."""
        external_id = str(desired.get("external_device_id") or olds.get("external_device_id") or device_id)
        op = WriteOp(
            "update",
            external_id,
            desired=dict(desired),
            device_id=device_id,
            changes=differing(olds, desired),
        )
        applied = self.plans.take_applied(self.site, device_id, comparable(desired))
        if applied is not None:  # a swap already moved it here, ahead of this call
            op.succeed(applied)
            return op
        if not op.changes:
            op.succeed(self.snapshot.get(device_id) or {**olds, "device_id": device_id})
        else:
            self._submit(op)
        self.plans.forget(self.site, device_id)
        return op

    def delete(self, device_id: int, external_id: str) -> WriteOp:
        """Delete the device; one already gone counts as deleted."""
        op = self._submit(WriteOp("delete", external_id, device_id=device_id))
        self.plans.forget(self.site, device_id)
        return op

    # --- group commit ---------------------------------------------------------------------------

    def _submit(self, op: WriteOp) -> WriteOp:
        with self._cond:
            now = self._clock()
            op.started = now
            self._drop_superseded(op)
            self._pending.append(op)
            self._arrivals.arrived(now, self.policy.idle_gap_seconds)
            self._cond.notify_all()
            while not op.done:
                if self._leading:
                    self._cond.wait(timeout=1.0)
                    continue
                self._leading = True
                try:
                    self._lead(op)
                finally:
                    self._leading = False
                    self._cond.notify_all()
        return op

    def _drop_superseded(self, op: WriteOp) -> None:
        """A device's own write replaces a write planned for it ahead of time that is not sent yet."""
        if op.device_id is not None:
            self._pending = [
                p for p in self._pending if not (p.plan is not None and p.device_id == op.device_id)
            ]

    def _lead(self, own: WriteOp) -> None:
        """Run rounds until our own write is done (the lock is held, and released around I/O)."""
        while not own.done:
            batch = self._gather()
            if not batch:
                wake = min((op.not_before for op in self._pending), default=self._clock())
                self._cond.wait(timeout=max(0.0, wake - self._clock()))
                continue
            taken = set(map(id, batch))
            self._pending = [op for op in self._pending if id(op) not in taken]
            with self._unlocked():
                self._run_round_safely(batch)
            self._pending.extend(op for op in batch if not op.done)
            self._cond.notify_all()

    def _gather(self) -> list[WriteOp]:
        """The writes to send now: all that are due, after a short wait for more during a burst."""
        deadline = self._clock() + self._arrivals.window(self._clock(), self.policy)
        first: int | None = None
        waited = False
        while True:
            due = [op for op in self._pending if op.not_before <= self._clock()]
            first = len(due) if first is None else first
            remaining = deadline - self._clock()
            full = len(due) >= self.policy.gather_target or self._workers.all_busy()
            if not due or full or remaining <= 0:
                if due:
                    self._arrivals.gathered(first, len(due), waited)
                return due[: self.policy.max_batch]
            waited = True
            # Short slices: a worker taken by another site's call does not notify this condition.
            self._cond.wait(timeout=min(remaining, WORKER_CHECK_SECONDS))

    @contextmanager
    def _unlocked(self) -> Iterator[None]:
        self._cond.release()
        try:
            yield
        finally:
            self._cond.acquire()

    # --- one round ------------------------------------------------------------------------------

    def _run_round_safely(self, batch: list[WriteOp]) -> None:
        """A round that cannot leave a waiting caller behind: any error ends the batch's writes."""
        try:
            self._run_round(batch)
        except ChektError as error:
            for op in batch:
                if not op.done:
                    op.fail(_wrap(op.kind, op, error))
        except Exception as error:
            log.exception("unexpected error while writing to dealer %s site %s", *self.site)
            for op in batch:
                if not op.done:
                    op.fail(DeviceOperationError(f"{op.kind} of device {op.external_id!r} failed: {error!r}"))

    def _run_round(self, batch: list[WriteOp]) -> None:
        """Adopt, delete, then send the zone-compatible creates and updates of the batch."""
        for op in batch:
            if (
                self._clock() - op.started > self.policy.max_seconds
                or op.attempts >= self.policy.max_item_attempts
            ):
                self._give_up(op)
        active = [op for op in batch if not op.done]
        self._send_deletes([op for op in active if op.kind == "delete"])
        writes = [op for op in active if op.kind != "delete"]
        if not writes:
            return
        if any(op.kind == "create" or op.target_zone is not None for op in writes):
            self.snapshot.ensure()
        for op in writes:
            if op.kind == "create" and op.device_id is None:
                self._match_live(op)
        self._send_zone_round([op for op in writes if not op.done])

    def _give_up(self, op: WriteOp) -> None:
        if op.plan is not None:
            self._drop_ahead(op)
            return
        last = op.last_error
        if isinstance(last, DeviceOperationError):
            op.fail(last)
            return
        reason = f": {last}" if last is not None else ""
        op.fail(
            DeviceOperationError(
                f"{op.kind} of device {op.external_id!r} gave up after {op.attempts} attempt(s){reason}",
                status=last.status if last else None,
                trace_id=last.trace_id if last else "",
            )
        )

    def _match_live(self, op: WriteOp) -> None:
        """A create whose external id is live already: ours (a lost answer) or adopted and converged."""
        live = self.snapshot.by_external_id(op.external_id)
        if live is None:
            return
        if live.get("device_type") != op.desired.get("device_type"):
            dealer, site = self.site
            op.fail(
                DeviceOperationError(
                    f"device {op.external_id!r} already exists at dealer {dealer} site {site} as a "
                    f"{live.get('device_type')}, not a {op.desired.get('device_type')}; delete it in CHeKT "
                    "or declare its real device_type"
                )
            )
            return
        op.device_id = int(live["device_id"])
        op.adopted = not op.maybe_created
        op.changes = differing(live, op.desired)
        if not op.changes:
            op.succeed(live)

    def _send_zone_round(self, writes: list[WriteOp]) -> None:
        moves = [ZoneMove(id(op), op.device_id, op.target_zone, self._current_zone(op)) for op in writes]
        reserved = {plan.zone for plan in self._plans_of_site() if plan.zone}
        round_ = next_round(moves, self.snapshot.zones() if self.snapshot.loaded else {}, reserved)
        by_key: dict[Hashable, WriteOp] = {id(op): op for op in writes}
        for key, holder in round_.held_by.items():
            self._resolve_holder(by_key[key], holder)
        updates: list[tuple[WriteOp, dict[str, Any], bool]] = []
        creates: list[WriteOp] = []
        for key in round_.ready:
            op = by_key[key]
            if op.device_id is None:
                creates.append(op)
            else:
                updates.append((op, op.changes, False))
        for key, zone in round_.step_aside.items():
            op = by_key[key]
            assert op.device_id is not None
            log.info("moving device %s to free zone %s while zones are exchanged", op.external_id, zone)
            updates.append((op, {"zone_number": zone}, True))
        self._send_updates(updates)
        self._send_creates(creates)

    def _current_zone(self, op: WriteOp) -> str | None:
        if op.device_id is None:
            return None
        live = self.snapshot.get(op.device_id)
        return zone_of(live) if live else None

    def _plans_of_site(self) -> list[Plan]:
        """Open plans of devices the site holds: walks the plans (usually few), not every device."""
        return [
            plan for plan in self.plans.of_site(self.site) if self.snapshot.get(plan.device_id) is not None
        ]

    def _resolve_holder(self, op: WriteOp, holder_id: int) -> None:
        """The zone ``op`` wants is held by a device no write of this round moves: decide."""
        plan = self.plans.get(self.site, holder_id)
        holder = self.snapshot.get(holder_id) or {"device_id": holder_id}
        zone = op.target_zone or ""
        queued = self._queued_write_for(holder_id)
        if queued is not None and (queued.kind == "delete" or queued.target_zone not in (None, zone)):
            op.not_before = max(self._clock(), queued.not_before)  # it leaves the zone in a later round
            return
        if (
            plan is not None
            and not plan.replace
            and plan.zone != zone
            and holder_id not in self._ahead_failed
        ):
            self._write_ahead(plan)  # it moves away in this run: move it first
            op.not_before = self._clock()
            return
        if plan is not None and plan.replace:
            # It will be deleted and created again by this run; wait for its delete (bounded).
            op.waiting_since = op.waiting_since or self._clock()
            if self._clock() - op.waiting_since < self.policy.holder_wait_seconds:
                op.not_before = self._clock() + 0.25
                return
        if not op.relisted:
            # Our list may be stale: look once more before calling it a conflict.
            op.relisted = True
            self.snapshot.refresh()
            op.not_before = self._clock()
            return
        if plan is None:
            # The holder may be part of this run, only not diffed yet: give its plan a bounded moment.
            op.plan_wait_since = op.plan_wait_since or self._clock()
            if self._clock() - op.plan_wait_since < self.policy.plan_wait_seconds:
                op.not_before = self._clock() + 0.1
                return
        op.fail(
            DeviceOperationError(
                f"{op.kind} of device {op.external_id!r} failed: zone_number {zone!r} is already used by device "
                f"{holder.get('external_device_id', '?')!r} (device_id {holder_id}), which this update does not "
                "move; give one of them another zone",
                status=409,
            )
        )

    def _queued_write_for(self, device_id: int) -> WriteOp | None:
        with self._locked():
            return next((p for p in self._pending if p.device_id == device_id and not p.done), None)

    def _write_ahead(self, plan: Plan) -> None:
        """Queue the update a plan announced, so a device leaves a zone before another takes it."""
        with self._locked():
            if any(p.device_id == plan.device_id and p.kind == "update" for p in self._pending):
                return
            external_id = str(plan.news.get("external_device_id") or plan.device_id)
            ahead = WriteOp(
                "update",
                external_id,
                desired=dict(plan.news),
                device_id=plan.device_id,
                changes=differing(plan.olds, plan.news),
                plan=plan,
                started=self._clock(),
            )
            self._pending.append(ahead)

    def _drop_ahead(self, op: WriteOp) -> None:
        """A write ahead of time that failed is not tried again: the device's own update will report."""
        op.done = True
        if op.device_id is not None:
            self._ahead_failed.add(op.device_id)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._cond:
            yield

    # --- bulk calls -----------------------------------------------------------------------------

    def _send_deletes(self, ops: list[WriteOp]) -> None:
        if not ops:
            return
        self.requests["delete"] += 1
        dealer, site = self.site
        try:
            result = self.client.delete_devices(dealer, site, [int(op.device_id or 0) for op in ops])
        except ChektNotFound:
            for op in ops:  # the site (and so the device) is gone already
                op.succeed({"device_id": op.device_id})
            return
        except ChektError as error:
            for op in ops:
                op.fail(_wrap("delete", op, error))
            return
        for op, item in zip(ops, result.items, strict=True):
            op.attempts += 1
            if item.is_successful or item.status_code == 404:
                self.snapshot.remove([int(op.device_id or 0)])
                op.succeed(item.device or {"device_id": op.device_id})
            else:
                self._item_failed(op, item, result.trace_id, create=False)

    def _send_updates(self, updates: Sequence[tuple[WriteOp, dict[str, Any], bool]]) -> None:
        if not updates:
            return
        self.requests["update"] += 1
        dealer, site = self.site
        items = [{"device_id": op.device_id, **changes} for op, changes, _ in updates]
        try:
            result = self.client.update_devices(dealer, site, items)
        except ChektError as error:
            for op, _, _ in updates:
                if op.plan is not None:
                    self._drop_ahead(op)
                else:
                    op.fail(_wrap("update", op, error))
            return
        conflicts = False
        for (op, changes, stepping_aside), item in zip(updates, result.items, strict=True):
            op.attempts += 1
            if item.is_successful:
                device = self._merged(op, changes, item.device)
                self.snapshot.put(device)
                if stepping_aside:
                    op.not_before = self._clock()
                elif op.plan is not None:
                    self.plans.mark_applied(self.site, op.plan, device)
                    op.done = True
                else:
                    op.succeed(device)
            elif item.status_code == 404 and op.plan is None:
                op.fail(
                    item_error(
                        "update", op.external_id, item, result.trace_id,
                        hint="it was deleted outside Pulumi: run `pulumi refresh` to let the next `up` create it again",
                    )
                )  # fmt: skip
            else:
                conflicts |= self._item_failed(op, item, result.trace_id, create=False)
        if conflicts:
            self.snapshot.refresh()

    def _merged(self, op: WriteOp, changes: Mapping[str, Any], answered: Device | None) -> Device:
        """The whole device after an update: what we knew, what we sent, and what the API answered
        (the reference shows update results holding a partial device)."""
        known = self.snapshot.get(int(op.device_id or 0)) or {**op.desired, "device_id": op.device_id}
        sent = {key: (value if value != "" else None) for key, value in changes.items()}
        merged: Device = {**known, **sent, **(answered or {})}
        for key in ("device_id", *API_ONLY_FIELDS):
            merged.setdefault(key, None)
        return merged

    def _send_creates(self, ops: list[WriteOp]) -> None:
        if not ops:
            return
        self.requests["create"] += 1
        dealer, site = self.site
        try:
            result = self.client.create_devices(dealer, site, [api_item(op.desired) for op in ops])
        except ChektError as error:
            if not may_have_been_processed(error):
                for op in ops:
                    op.fail(_wrap("create", op, error))
                return
            log.info("create of %d device(s) may have been processed (%s); looking them up", len(ops), error)
            for op in ops:
                op.attempts += 1
                op.maybe_created = True
                op.last_error = error
            self._look_up(ops)
            return
        look_up: list[WriteOp] = []
        conflicts: list[WriteOp] = []
        for op, item in zip(ops, result.items, strict=True):
            op.attempts += 1
            if item.is_successful and item.device is not None:
                self.snapshot.put(item.device)
                op.succeed(item.device)
                continue
            verdict = item_verdict(item.status_code, create=True)
            if verdict is ItemVerdict.LOOK_UP:
                op.maybe_created = True
                op.last_error = item_error("create", op.external_id, item, result.trace_id)
                look_up.append(op)
            elif verdict is ItemVerdict.CONFLICT:
                op.last_error = item_error("create", op.external_id, item, result.trace_id)
                conflicts.append(op)
            else:
                self._item_failed(op, item, result.trace_id, create=True)
        if look_up or conflicts:
            self._look_up([*look_up, *conflicts])

    def _look_up(self, ops: list[WriteOp]) -> None:
        """After a lost answer or a conflict: list the site again; what exists is matched next round,
        what does not is sent again (``_match_live`` runs before every round)."""
        try:
            self.snapshot.refresh()
        except ChektError as error:
            for op in ops:
                op.last_error = error
        now = self._clock()
        for op in ops:
            op.not_before = now

    def _item_failed(self, op: WriteOp, item: BulkItemResult, trace_id: str, *, create: bool) -> bool:
        """Schedule a retry of a failed item, or fail it; True when it was a conflict (re-list)."""
        error = item_error(op.kind, op.external_id, item, trace_id)
        op.last_error = error
        verdict = item_verdict(item.status_code, create=create)
        if verdict is ItemVerdict.FINAL:
            if op.plan is not None:
                self._drop_ahead(op)
            else:
                op.fail(error)
            return False
        if verdict is ItemVerdict.CONFLICT:
            op.not_before = self._clock()
            return True
        op.not_before = self._clock() + backoff_seconds(self.policy.retry, op.attempts)
        log.info("retrying %s of %s after item failure: %s", op.kind, op.external_id, error)
        return False


def _wrap(action: str, op: WriteOp, error: ChektError) -> DeviceOperationError:
    """A whole-request failure, told as this device's failure (status and trace id kept)."""
    return DeviceOperationError(
        f"{action} of device {op.external_id!r} failed: {error}",
        status=error.status,
        trace_id="",  # already part of the wrapped text
        api_message=error.api_message,
    )
