"""Outcomes the site record's step wrote, waiting for the devices' own steps to collect them.

The engine runs a site record's step before the steps of its devices (they depend on it). That
step sends the whole site's writes in bulk and records each device's outcome here; a device's own
create, update or delete then returns its recorded outcome (or raises its recorded error) instead
of sending anything. An outcome is taken at most once, and only by the step that asks for exactly
what was written (same kind, same desired inputs, same device id): anything else — a targeted
run, a change the site record did not see — falls through to the per-device path.

Failures report last: the engine stops scheduling new steps after the first failed resource, so a
device whose write failed waits (bounded) until the site's successful outcomes have been collected;
otherwise devices created in CHeKT would be missing from the state and adopted by the next run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_chekt.contract.device_fields import EXTERNAL_ID
from pulumi_chekt.resources.fields import comparable
from pulumi_chekt.resources.writes import State, Write

SiteKey = tuple[int, int]

QUIET_SECONDS = 2.0
"""A failing device stops waiting when no outcome of its site was collected for this long (the engine
may have stopped, or the remaining outcomes belong to devices the engine does not step)."""
MAX_WAITING_FAILURES = 2
"""Failing devices waiting at once, at most: the SDK's server has four threads, the others must stay
free for the steps being waited for."""


class Ledger:
    """Per provider process: outcomes by site, taken once by the devices' own steps."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, quiet_seconds: float = QUIET_SECONDS
    ) -> None:
        self._clock = clock
        self._quiet_seconds = quiet_seconds
        self._cond = threading.Condition()
        self._writes: dict[tuple[SiteKey, str], tuple[dict[str, Any], Write]] = {}
        self._deletes: dict[tuple[SiteKey, int], Write] = {}
        self._last_taken: dict[SiteKey, float] = {}
        self._waiting = 0

    def record_write(self, site: SiteKey, desired: Mapping[str, Any], write: Write) -> None:
        with self._cond:
            self._writes[(site, write.external_id)] = (comparable(desired), write)

    def record_delete(self, site: SiteKey, write: Write) -> None:
        assert write.device_id is not None
        with self._cond:
            self._deletes[(site, write.device_id)] = write

    def take_write(
        self, site: SiteKey, desired: Mapping[str, Any], *, device_id: int | None = None
    ) -> Write | None:
        """The create or update outcome for exactly ``desired`` (and, for an update, ``device_id``)."""
        key = (site, str(desired.get(EXTERNAL_ID)))
        with self._cond:
            entry = self._writes.get(key)
            if entry is None or entry[0] != comparable(desired):
                return None
            write = entry[1]
            if device_id is not None and write.device_id != device_id:
                return None
            del self._writes[key]
            self._taken(site)
            return write

    def take_delete(self, site: SiteKey, device_id: int) -> Write | None:
        with self._cond:
            write = self._deletes.pop((site, device_id), None)
            if write is not None:
                self._taken(site)
            return write

    def _taken(self, site: SiteKey) -> None:
        self._last_taken[site] = self._clock()
        self._cond.notify_all()

    def _successes_left(self, site: SiteKey) -> int:
        writes = [w for (s, _), (_, w) in self._writes.items() if s == site]
        deletes = [w for (s, _), w in self._deletes.items() if s == site]
        return sum(1 for w in (*writes, *deletes) if w.state is State.DONE)

    def wait_to_report_failure(self, site: SiteKey, *, quiet_seconds: float | None = None) -> None:
        """Return once the site's successful outcomes were collected, or nothing was collected for
        ``quiet_seconds``, or enough other failures are already waiting (bounded, never a deadlock)."""
        with self._cond:
            if self._waiting >= MAX_WAITING_FAILURES:
                return
            self._waiting += 1
            quiet = self._quiet_seconds if quiet_seconds is None else quiet_seconds
            try:
                started = self._clock()
                while self._successes_left(site) > 0:
                    last = max(self._last_taken.get(site, started), started)
                    remaining = last + quiet - self._clock()
                    if remaining <= 0:
                        return
                    self._cond.wait(timeout=remaining)
            finally:
                self._waiting -= 1
