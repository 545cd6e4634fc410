"""Fault injection: what the server should do wrong, and the per-request decision.

Settings come from the config file, the CLI or ``PUT /_admin/faults`` (which replaces them all);
one-shot faults are appended with ``POST /_admin/faults/queue``. Random rates are seeded from
``seed`` and drawn so that a seeded run is reproducible whatever the settings: every API request draws
exactly :data:`DRAWS_PER_REQUEST` numbers from one RNG (drop, drop after, rate limit, error, which
error status, latency spike), and every bulk item that reaches the store draws exactly
:data:`DRAWS_PER_ITEM` from a second RNG (fail?, which status), whether or not a rate is set.

Rates are checked in this order, each only when the ones before did not strike: ``drop_rate``
(connection closed, request not processed), ``rate_limit_rate`` (429), ``error_rate`` (a 5xx, request
not processed), ``drop_after_rate`` (request processed, then the connection closed unanswered). A
queued fault for the request wins over the rates of its phase. Nothing here knows about HTTP objects.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from typing import Any

from pulumi_chekt.localserver.fault_settings import (
    FaultSettings,
    ItemFailure,
    QueuedFault,
    command_line_flags,
    pick,
)

__all__ = [
    "Action",
    "FaultInjector",
    "FaultSettings",
    "ItemFailure",
    "Plan",
    "QueuedFault",
    "command_line_flags",
]

DRAWS_PER_REQUEST = 6
DRAWS_PER_ITEM = 2


@dataclass(frozen=True)
class Action:
    """What to do instead of (``before``) or to (``after``) the normal answer."""

    status: int | None = None
    retry_after: int | None = None
    drop: bool = False
    delay_ms: int = 0
    reason: str = "injected fault"


@dataclass(frozen=True)
class Plan:
    """The faults decided for one API request."""

    latency_ms: int = 0
    before: Action | None = None
    after: Action | None = None


class FaultInjector:
    """Thread-safe fault state: settings, the remaining queue and the RNG."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._queue: list[QueuedFault] = []
        self._failures: list[ItemFailure] = []
        self._rng = random.Random()
        self._item_rng = random.Random()
        self.replace(settings or FaultSettings())

    def replace(self, settings: FaultSettings) -> None:
        """Swap in a whole new configuration (queue and item failure counters included)."""
        with self._lock:
            self._settings = settings
            self._queue = list(settings.queue)
            self._failures = list(settings.item_failures)
            self._rng = random.Random(settings.seed)
            self._item_rng = random.Random(None if settings.seed is None else settings.seed + 1)

    def enqueue(self, fault: QueuedFault) -> None:
        with self._lock:
            self._queue.append(fault)

    def snapshot(self) -> dict[str, Any]:
        """The current configuration, with the queue and item failures as they are now."""
        with self._lock:
            current = replace(self._settings, queue=tuple(self._queue), item_failures=tuple(self._failures))
        return current.to_dict()

    @property
    def token_lifetime(self) -> int | None:
        return self._settings.token_lifetime

    def plan(self, method: str, path: str) -> Plan:
        """Decide the faults for one API request (consumes matching queued faults)."""
        with self._lock:
            settings = self._settings
            drop, drop_after, limited, failed, status, spike = (
                self._rng.random() for _ in range(DRAWS_PER_REQUEST)
            )
            queued = self._take_queued(method, path)
        before: Action | None = None
        after: Action | None = None
        if queued is not None:
            action = Action(
                queued.status, queued.retry_after, queued.drop, queued.delay_ms, "injected fault (queued)"
            )
            if queued.when == "before":
                before = action
            else:
                after = action
        if before is None or (before.status is None and not before.drop):  # rates may still strike
            delay = before.delay_ms if before else 0
            if drop < settings.drop_rate:
                before = Action(drop=True, delay_ms=delay)
            elif limited < settings.rate_limit_rate:
                before = Action(
                    429, settings.retry_after, delay_ms=delay, reason="rate limit exceeded (injected)"
                )
            elif failed < settings.error_rate:
                before = Action(settings.error(status), delay_ms=delay, reason="injected server error")
        struck = before is not None and (before.status is not None or before.drop)
        if not struck and after is None and drop_after < settings.drop_after_rate:
            after = Action(drop=True, reason="injected drop after processing")
        latency = settings.latency_ms + (
            settings.latency_spike_ms if spike < settings.latency_spike_rate else 0
        )
        return Plan(latency_ms=latency, before=before, after=after)

    def _take_queued(self, method: str, path: str) -> QueuedFault | None:
        for index, fault in enumerate(self._queue):
            if fault.matches(method, path):
                if fault.times > 1:
                    self._queue[index] = replace(fault, times=fault.times - 1)
                else:
                    del self._queue[index]
                return fault
        return None

    def item_failure(self, external_device_id: str | None, device_id: int | None) -> ItemFailure | None:
        """The failure for this bulk item, if any: a forced one (counting down its ``times``), else one
        drawn at ``item_failure_rate``. Draws DRAWS_PER_ITEM numbers on every call."""
        with self._lock:
            settings = self._settings
            fails, status = (self._item_rng.random() for _ in range(DRAWS_PER_ITEM))
            for index, failure in enumerate(self._failures):
                if failure.matches(external_device_id, device_id):
                    if failure.times is not None:
                        if failure.times > 1:
                            self._failures[index] = replace(failure, times=failure.times - 1)
                        else:
                            del self._failures[index]
                    return failure
        if fails < settings.item_failure_rate:
            code = pick(settings.item_failure_statuses, status)
            return ItemFailure(code, f"injected item failure (status {code}); the item was not applied")
        return None
