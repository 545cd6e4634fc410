"""The per-device path: one device's own create, update or delete, coalesced with its site's other
concurrent calls into bulk requests.

A site declared through ``SiteDevices`` has its writes done by its site record's step, which knows
the whole change up front; this path serves what that step did not do: ``pulumi up --target`` of a
device, a ``Device`` used on its own, and a device whose site record had no change in this run
(a refresh found drift, an earlier run stopped early). It must be correct on its own: zone swaps
seen through the devices' diffs (``plans``) are resolved by moving the holder first, a zone held by
a device that nothing moves is an error that names it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_chekt.contract.device_fields import DEVICE_ID
from pulumi_chekt.resources.group_commit import GatherPolicy, GroupCommit, Pause
from pulumi_chekt.resources.plans import RunPlans
from pulumi_chekt.resources.round_plan import Decision, Fail, HolderRule, Relist, Wait, WriteAhead
from pulumi_chekt.resources.round_runner import RoundRunner
from pulumi_chekt.resources.workers import BusyWorkers
from pulumi_chekt.resources.writes import (
    Kind,
    State,
    Write,
    new_create,
    new_delete,
    new_update,
)
from pulumi_chekt.resources.zone_conflicts import NOT_MOVED, held_by_unmoved

REPLACED_HOLDER_POLL_SECONDS = 0.25


@dataclass(eq=False)
class Slot:
    """A write in the group, replaced by its next state after every round."""

    write: Write
    dropped: bool = False

    @property
    def finished(self) -> bool:
        return self.dropped or self.write.finished

    @property
    def due(self) -> float:
        return self.write.due


class DeviceWriter:
    """Every per-device write to one site goes through here (one instance per site and process)."""

    def __init__(
        self,
        runner: RoundRunner,
        plans: RunPlans,
        *,
        workers: BusyWorkers | None = None,
        clock: Callable[[], float] = time.monotonic,
        lock: threading.Lock | None = None,
        pause: Pause | None = None,
    ) -> None:
        self.runner = runner
        self._site_lock = lock or threading.Lock()
        """Held around each round: the site record's step must not interleave with it."""
        self.site = runner.site
        self.plans = plans
        self.policy = runner.policy
        self._clock = clock
        gather = GatherPolicy(
            max_batch=self.policy.max_batch,
            gather_target=self.policy.gather_target,
            max_window_seconds=self.policy.max_window_seconds,
            idle_gap_seconds=self.policy.idle_gap_seconds,
        )
        self._group: GroupCommit[Slot] = GroupCommit(
            self._run_batch, policy=gather, workers=workers, clock=clock, pause=pause
        )
        self._ahead_failed: set[int] = set()
        """Devices whose write ahead of time failed: not tried again, their own update reports."""

    # --- what the provider calls -------------------------------------------------------------------

    def create(self, desired: Mapping[str, Any]) -> Write:
        """Create the device, or adopt a live device with the same external_device_id."""
        return self._group.submit(Slot(new_create(desired, self._clock()))).write

    def update(self, device_id: int, olds: Mapping[str, Any], desired: Mapping[str, Any]) -> Write:
        """Send the fields that differ between the last known inputs ``olds`` and ``desired``."""
        write = new_update(device_id, olds, desired, self._clock())
        applied = self.plans.take_applied(self.site, device_id, desired)
        try:
            if applied is not None:  # a swap already moved it here, ahead of this call
                return write.succeeded(applied)
            if not write.changes:
                known = self.runner.snapshot.get(device_id) or {**olds, DEVICE_ID: device_id}
                return write.succeeded(known)
            self._drop_ahead_writes(device_id)
            return self._group.submit(Slot(write)).write
        finally:
            self.plans.forget(self.site, device_id)

    def delete(self, device_id: int, external_id: str) -> Write:
        """Delete the device; one already gone counts as deleted."""
        self._drop_ahead_writes(device_id)
        try:
            return self._group.submit(Slot(new_delete(device_id, external_id, self._clock()))).write
        finally:
            self.plans.forget(self.site, device_id)

    # --- rounds ------------------------------------------------------------------------------------

    def _drop_ahead_writes(self, device_id: int) -> None:
        """A device's own write replaces a write planned for it ahead of time that is not sent yet."""
        for slot in self._group.pending():
            if slot.write.ahead and slot.write.device_id == device_id:
                slot.dropped = True

    def _run_batch(self, slots: list[Slot]) -> None:
        writes = [slot.write for slot in slots]
        with self._site_lock:
            after = self.runner.run_round(writes, self._rule(writes))
        for slot, write in zip(slots, after, strict=False):
            slot.write = write
            if write.ahead and write.finished:
                self._ahead_finished(write)
        for extra in after[len(slots) :]:
            self._group.add(Slot(extra))

    def _ahead_finished(self, write: Write) -> None:
        assert write.device_id is not None
        if write.state is State.DONE and write.device is not None:
            self.plans.mark_applied(self.site, write.device_id, write.desired, write.device)
        else:
            self._ahead_failed.add(write.device_id)

    def _rule(self, batch: list[Write]) -> HolderRule:
        now = self._clock()
        pending = [*batch, *(slot.write for slot in self._group.pending())]

        def rule(write: Write, holder_id: int) -> Decision:
            zone = write.target_zone or ""
            queued = next(
                (w for w in pending if w.device_id == holder_id and not w.finished and w is not write), None
            )
            if queued is not None and (queued.kind is Kind.DELETE or queued.target_zone not in (None, zone)):
                return Wait(max(now, queued.due))  # it leaves the zone in a later round
            plan = self.plans.get(self.site, holder_id)
            if (
                plan is not None
                and not plan.replace
                and plan.zone != zone
                and holder_id not in self._ahead_failed
            ):
                return WriteAhead(new_update(holder_id, plan.olds, plan.news, now, ahead=True))
            if plan is not None and plan.replace:
                # It will be deleted and created again by this run: wait for its delete (bounded).
                since = write.waiting_since if write.waiting_since is not None else now
                if now - since < self.policy.holder_wait_seconds:
                    return Wait(now + REPLACED_HOLDER_POLL_SECONDS, since)
            if not write.relisted:
                return Relist()  # our list may be stale: look once more before calling it a conflict
            holder = self.runner.snapshot.get(holder_id) or {DEVICE_ID: holder_id}
            return Fail(held_by_unmoved(write.kind.value, write.external_id, zone, holder, NOT_MOVED))

        return rule
