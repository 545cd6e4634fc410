"""Group commit: concurrent callers' jobs become few batches, each caller waits for its own result.

Why: the Pulumi SDK's dynamic provider server runs at most four calls at a time, each for one
device; sending one request per call multiplies the API's latency and rate limits by the fleet. The
first caller of an idle group runs its batch at once; callers that arrive while a batch is running,
or within a short window of a burst, join the next one. One thread at a time leads; the others
wait for their job to finish. Knows nothing of devices or HTTP: ``run_batch`` does the work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pulumi_chekt.resources.workers import BusyWorkers

WORKER_CHECK_SECONDS = 0.01


class Job(Protocol):
    @property
    def finished(self) -> bool: ...

    @property
    def due(self) -> float: ...


J = TypeVar("J", bound=Job)
Pause = Callable[[threading.Condition, float], None]
"""Waits on the condition (held) for at most that many seconds; a simulation advances a fake clock."""


def wait_on(condition: threading.Condition, seconds: float) -> None:
    condition.wait(timeout=seconds)


@dataclass(frozen=True)
class GatherPolicy:
    max_batch: int = 100
    gather_target: int = 4
    max_window_seconds: float = 1.0
    idle_gap_seconds: float = 1.0


class Arrivals:
    """How jobs arrive, to size the gathering window.

    Paced arrivals (the engine saving its state after every step lets one write through every few
    hundred milliseconds) are worth waiting for: holding a write for up to a second costs no wall
    time there, as the engine's state saves are the bottleneck. A chain of writes that depend on
    each other is not: after two windows in which nothing joined, jobs go out at once until
    concurrent jobs show up again.
    """

    WASTED_WINDOWS_LIMIT = 2

    def __init__(self) -> None:
        self.last = float("-inf")
        self.gap = 0.0
        self.wasted = 0

    def arrived(self, now: float, idle_gap: float) -> None:
        gap = now - self.last
        if gap >= idle_gap:
            self.gap = 0.0  # the group was idle: this job goes out at once
        else:
            self.gap = gap if self.gap == 0.0 else 0.7 * self.gap + 0.3 * gap
        self.last = now

    def window(self, policy: GatherPolicy) -> float:
        if self.gap == 0.0 or self.wasted >= self.WASTED_WINDOWS_LIMIT:
            return 0.0
        return min(policy.max_window_seconds, 4 * self.gap)

    def gathered(self, before_waiting: int, after_waiting: int, waited: bool) -> None:
        """Learn whether waiting helps: concurrent jobs reset the count of wasted windows."""
        if before_waiting > 1 or after_waiting > before_waiting:
            self.wasted = 0
        elif waited:
            self.wasted += 1


class GroupCommit(Generic[J]):
    """Jobs of one group (one site); ``run_batch`` runs outside the lock and may ``add`` jobs."""

    def __init__(
        self,
        run_batch: Callable[[list[J]], None],
        *,
        policy: GatherPolicy | None = None,
        workers: BusyWorkers | None = None,
        clock: Callable[[], float] = time.monotonic,
        pause: Pause | None = None,
    ) -> None:
        self._run_batch = run_batch
        self._pause = pause or wait_on
        self.policy = policy or GatherPolicy()
        self._workers = workers or BusyWorkers()
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: list[J] = []
        self._leading = False
        self._arrivals = Arrivals()

    def submit(self, job: J) -> J:
        """Queue ``job`` and return once it is finished (run by this thread or by another leader)."""
        with self._cond:
            self._pending.append(job)
            self._arrivals.arrived(self._clock(), self.policy.idle_gap_seconds)
            self._cond.notify_all()
            while not job.finished:
                if self._leading:
                    self._pause(self._cond, 1.0)
                    continue
                self._leading = True
                try:
                    self._lead(job)
                finally:
                    self._leading = False
                    self._cond.notify_all()
        return job

    def add(self, job: J) -> None:
        """A job with no caller waiting for it (e.g. a write sent ahead for another device)."""
        with self._cond:
            self._pending.append(job)

    def pending(self) -> list[J]:
        with self._cond:
            return [job for job in self._pending if not job.finished]

    def _lead(self, own: J) -> None:
        """Run batches until our own job is finished (the lock is held, and released around the work)."""
        while not own.finished:
            batch = self._gather()
            if not batch:
                wake = min((job.due for job in self._pending), default=self._clock())
                self._pause(self._cond, max(0.0, wake - self._clock()))
                continue
            taken = set(map(id, batch))
            self._pending = [job for job in self._pending if id(job) not in taken]
            self._cond.release()
            try:
                self._run_batch(batch)
            finally:
                self._cond.acquire()
            self._pending.extend(job for job in batch if not job.finished)
            self._cond.notify_all()

    def _gather(self) -> list[J]:
        """The jobs to run now: all that are due, after a short wait for more during a burst."""
        deadline = self._clock() + self._arrivals.window(self.policy)
        first: int | None = None
        waited = False
        while True:
            due = [job for job in self._pending if job.due <= self._clock() and not job.finished]
            first = len(due) if first is None else first
            remaining = deadline - self._clock()
            full = len(due) >= self.policy.gather_target or self._workers.all_busy()
            if not due or full or remaining <= 0:
                if due:
                    self._arrivals.gathered(first, len(due), waited)
                return due[: self.policy.max_batch]
            waited = True
            # Short slices: a worker taken by another site's call does not notify this condition.
            self._pause(self._cond, min(remaining, WORKER_CHECK_SECONDS))
