"""The site record's step: one change to a whole site, sent as whole-site bulk requests.

Runs when the engine creates or updates a site record (before any of the site's devices, which
depend on it): plans the change (``site_changes``), sends it in rounds (``round_runner``: deletes,
zone-ordered updates, creates; up to 100 items a request), records every device's outcome for the
devices' own steps (``ledger``), and returns the record's new outputs: what is now applied.

A device's failure is its own: it is recorded, not raised, so the other devices of the site (and of
every other site) are written, and the device's own step reports it. Outputs keep a failed device's
previous row, so the record still differs from the file and the next run tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_chekt.contract.device_fields import DEVICE_ID, EXTERNAL_ID
from pulumi_chekt.resources.ledger import Ledger
from pulumi_chekt.resources.round_plan import Decision, Fail, HolderRule, Relist, Wait
from pulumi_chekt.resources.round_runner import RoundRunner, run_to_completion
from pulumi_chekt.resources.site_changes import (
    Row,
    SiteChange,
    needs_live,
    plan_site,
    row_of,
)
from pulumi_chekt.resources.writes import Kind, State, Write
from pulumi_chekt.resources.zone_conflicts import (
    DELETE_FAILED,
    LIVE_ZONE_DIFFERS,
    MOVE_FAILED,
    held_by_undeclared,
    held_by_unmoved,
)


@dataclass
class SiteResult:
    """The record's new outputs: managed devices as applied, and the live devices no file declares."""

    devices: dict[str, Row]
    undeclared: list[Row]
    writes: list[Write]
    listed: bool


def _stale(write: Write) -> bool:
    """An update by a recorded device_id that the API no longer knows."""
    return (
        write.kind is Kind.UPDATE
        and write.state is State.FAILED
        and getattr(write.error, "status", None) == 404
    )


def undeclared_row(device: Mapping[str, Any]) -> Row:
    return {
        **row_of(device),
        EXTERNAL_ID: device.get(EXTERNAL_ID),
        DEVICE_ID: device.get(DEVICE_ID),
    }


class SiteStep:
    """Applies one change to one site (one instance per site and provider process)."""

    def __init__(
        self,
        runner: RoundRunner,
        ledger: Ledger,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.runner = runner
        self.site = runner.site
        self.snapshot = runner.snapshot
        self.ledger = ledger
        self._clock = clock
        self._sleep = sleep

    def apply(
        self,
        previous: Mapping[str, Row],
        declared: Mapping[str, Row],
        *,
        prune: bool,
        undeclared_before: Sequence[Row] = (),
    ) -> SiteResult:
        listed = needs_live(previous, declared, prune)
        if listed:
            self.snapshot.ensure()
        live = self.snapshot.devices() if listed else None
        change = plan_site(self.site, previous, declared, live, prune=prune, now=self._clock())
        writes = self._run(change, declared)
        if not listed and any(_stale(write) for write in writes):
            # A recorded device_id is gone (a targeted run replaced the device): plan those again, listed.
            writes, change = self._replan_stale(writes, change, previous, declared)
            listed = True
        self._record(writes)
        return SiteResult(
            devices=self._applied(previous, declared, change, writes),
            undeclared=self._undeclared(declared) if listed else list(undeclared_before),
            writes=writes,
            listed=listed,
        )

    # --- rounds ------------------------------------------------------------------------------------

    def _replan_stale(
        self,
        writes: list[Write],
        change: SiteChange,
        previous: Mapping[str, Row],
        declared: Mapping[str, Row],
    ) -> tuple[list[Write], SiteChange]:
        stale = {write.external_id for write in writes if _stale(write)}
        self.snapshot.refresh()
        again = plan_site(
            self.site,
            {key: previous[key] for key in stale},
            {key: declared[key] for key in stale},
            self.snapshot.devices(),
            prune=False,
            now=self._clock(),
        )
        kept = [write for write in writes if write.external_id not in stale]
        return kept + self._run(again, declared), change

    def _run(self, change: SiteChange, declared: Mapping[str, Row]) -> list[Write]:
        return run_to_completion(
            self.runner,
            change.writes,
            lambda writes: self._rule(writes, declared),
            clock=self._clock,
            sleep=self._sleep,
        )

    def _rule(self, writes: list[Write], declared: Mapping[str, Row]) -> HolderRule:
        now = self._clock()

        def rule(write: Write, holder_id: int) -> Decision:
            zone = write.target_zone or ""
            action = write.kind.value
            holder = self.snapshot.get(holder_id) or {DEVICE_ID: holder_id}
            own = next((w for w in writes if w.device_id == holder_id and w is not write), None)
            if own is not None and not own.finished:
                return Wait(max(now, own.due))  # it leaves the zone in a later round
            if own is not None and own.state is State.FAILED:
                why = DELETE_FAILED if own.kind is Kind.DELETE else MOVE_FAILED
                return Fail(held_by_unmoved(action, write.external_id, zone, holder, why))
            declared_holder = own is not None or str(holder.get(EXTERNAL_ID)) in declared
            if declared_holder and not write.relisted:
                return Relist()  # our list may be older than the holder's own write: look again
            if declared_holder:
                return Fail(held_by_unmoved(action, write.external_id, zone, holder, LIVE_ZONE_DIFFERS))
            return Fail(held_by_undeclared(action, write.external_id, zone, holder))

        return rule

    # --- outcomes ----------------------------------------------------------------------------------

    def _record(self, writes: list[Write]) -> None:
        for write in writes:
            if write.kind is Kind.DELETE:
                self.ledger.record_delete(self.site, write)
            else:
                self.ledger.record_write(self.site, write.desired, write)

    def _applied(
        self,
        previous: Mapping[str, Row],
        declared: Mapping[str, Row],
        change: SiteChange,
        writes: list[Write],
    ) -> dict[str, Row]:
        """Each managed device as it now is: the declared row once written (or when nothing needed
        writing), the previous row while its write failed (so the next run tries again)."""
        by_external: dict[str, list[Write]] = {}
        for write in writes:
            by_external.setdefault(write.external_id, []).append(write)
        applied: dict[str, Row] = {}
        for external_id, row in declared.items():
            own = [w for w in by_external.get(external_id, []) if w.kind is not Kind.DELETE]
            before = previous.get(external_id)
            if not own:
                if before is not None:
                    found = self.snapshot.by_external_id(external_id) if self.snapshot.loaded else None
                    device_id = found[DEVICE_ID] if found is not None else before.get(DEVICE_ID)
                    applied[external_id] = {**row_of(row), DEVICE_ID: device_id}
                continue
            write = own[0]
            if write.state is State.DONE:
                device_id = (
                    write.device_id if write.device_id is not None else (write.device or {}).get(DEVICE_ID)
                )
                applied[external_id] = {**row_of(row), DEVICE_ID: device_id}
            elif before is not None and not self._deleted(by_external.get(external_id, [])):
                applied[external_id] = dict(before)
        for external_id, before in change.removed.items():
            deletes = [w for w in by_external.get(external_id, []) if w.kind is Kind.DELETE]
            if any(w.state is State.FAILED for w in deletes):
                applied[external_id] = dict(before)  # still there: the next run (or destroy) deletes it
        return applied

    @staticmethod
    def _deleted(writes: list[Write]) -> bool:
        return any(w.kind is Kind.DELETE and w.state is State.DONE for w in writes)

    def _undeclared(self, declared: Mapping[str, Row]) -> list[Row]:
        return [
            undeclared_row(device)
            for device in sorted(self.snapshot.devices(), key=lambda d: int(d.get(DEVICE_ID) or 0))
            if str(device.get(EXTERNAL_ID)) not in declared
        ]
