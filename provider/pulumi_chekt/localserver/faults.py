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
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

When = Literal["before", "after"]


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be an object")
    unknown = sorted(str(key) for key in set(data) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown fields: {', '.join(unknown)}")


def _int(data: Mapping[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key} must be an integer from {low} to {high}, got {value!r}")
    return value


def _req_int(data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = _int(data, key, default, low, high)
    if value is None:
        raise ValueError(f"{key} must be an integer from {low} to {high}, not null")
    return value


def _rate(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _statuses(
    data: Mapping[str, Any], key: str, default: tuple[int, ...], low: int, high: int
) -> tuple[int, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list | tuple) or len(value) > 100:
        raise ValueError(f"{key} must be a list of at most 100 statuses from {low} to {high}, got {value!r}")
    return tuple(_req_int({key: item}, key, 0, low, high) for item in value)


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null")
    return value


MAX_DELAY_MS = 600_000
DRAWS_PER_REQUEST = 6
DRAWS_PER_ITEM = 2


@dataclass(frozen=True)
class QueuedFault:
    """A one-shot fault for the next ``times`` API requests matching ``method`` and ``path``.

    ``path`` is a regular expression searched (``re.search``) in the request path. ``when="before"``
    answers without processing; ``"after"`` processes the request, then replaces or loses the answer.
    """

    status: int | None = None
    retry_after: int | None = None
    drop: bool = False
    delay_ms: int = 0
    times: int = 1
    method: str | None = None
    path: str | None = None
    when: When = "before"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueuedFault:
        fields = {"status", "retry_after", "drop", "delay_ms", "times", "method", "path", "when"}
        _check_keys(data, fields, "queued fault")
        drop = data.get("drop", False)
        if not isinstance(drop, bool):
            raise ValueError("drop must be true or false")
        when = data.get("when", "before")
        if when not in ("before", "after"):
            raise ValueError('when must be "before" or "after"')
        path = _opt_str(data, "path")
        if path is not None:
            try:
                re.compile(path)
            except re.error as error:
                raise ValueError(f"path is not a valid regular expression: {error}") from error
        method = _opt_str(data, "method")
        return cls(
            status=_int(data, "status", None, 100, 599),
            retry_after=_int(data, "retry_after", None, 0, 86_400),
            drop=drop,
            delay_ms=_req_int(data, "delay_ms", 0, 0, MAX_DELAY_MS),
            times=_req_int(data, "times", 1, 1, 1_000_000),
            method=method.upper() if method else None,
            path=path,
            when=when,
        )

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass(frozen=True)
class ItemFailure:
    """Force one item of a bulk call to fail; matched by ``device_id`` or ``external_device_id``.

    ``times=None`` fails the item every time; a number fails it that many times, then lets it pass.
    """

    status_code: int
    error_message: str
    external_device_id: str | None = None
    device_id: int | None = None
    times: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemFailure:
        fields = {"status_code", "error_message", "external_device_id", "device_id", "times"}
        _check_keys(data, fields, "item failure")
        external = _opt_str(data, "external_device_id")
        device_id = _int(data, "device_id", None, 1, 2**63 - 1)
        if external is None and device_id is None:
            raise ValueError("item failure needs external_device_id or device_id")
        message = data.get("error_message", "injected item failure")
        if not isinstance(message, str):
            raise ValueError("error_message must be a string")
        return cls(
            status_code=_req_int(data, "status_code", 500, 100, 599),
            error_message=message,
            external_device_id=external,
            device_id=device_id,
            times=_int(data, "times", None, 1, 1_000_000),
        )

    def matches(self, external_device_id: str | None, device_id: int | None) -> bool:
        if self.device_id is not None and device_id == self.device_id:
            return True
        return self.external_device_id is not None and external_device_id == self.external_device_id


@dataclass(frozen=True)
class FaultSettings:
    """The whole fault configuration; the default injects nothing.

    ``error_rate`` answers that share of API requests, unprocessed, with a random one of
    ``error_statuses`` (5xx), or with ``error_status`` when that list is empty. ``rate_limit_rate``
    answers 429 with ``Retry-After: retry_after``. Every request waits ``latency_ms``, and a share
    ``latency_spike_rate`` of them ``latency_spike_ms`` more. ``drop_rate`` closes the connection
    before processing; ``drop_after_rate`` processes the request, then closes the connection without
    an answer (a create that happened, whose answer the client never sees). ``item_failure_rate``
    fails that share of bulk items (create, update, delete) alone, unapplied, with a random one of
    ``item_failure_statuses``; ``item_failures`` force given items to fail.
    """

    error_rate: float = 0.0
    error_status: int = 503
    error_statuses: tuple[int, ...] = ()
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    latency_ms: int = 0
    latency_spike_rate: float = 0.0
    latency_spike_ms: int = 0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    item_failure_rate: float = 0.0
    item_failure_statuses: tuple[int, ...] = (500,)
    item_failures: tuple[ItemFailure, ...] = ()
    token_lifetime: int | None = None
    seed: int | None = None
    queue: tuple[QueuedFault, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FaultSettings:
        """Parse and check a JSON-like mapping; raises ``ValueError`` naming the bad field."""
        if data is None:
            return cls()
        fields = {
            "error_rate", "error_status", "error_statuses", "rate_limit_rate", "retry_after", "latency_ms",
            "latency_spike_rate", "latency_spike_ms", "drop_rate", "drop_after_rate", "item_failure_rate",
            "item_failure_statuses", "item_failures", "token_lifetime", "seed", "queue",
        }  # fmt: skip
        _check_keys(data, fields, "faults")
        failures = data.get("item_failures") or []
        queue = data.get("queue") or []
        if not isinstance(failures, list) or not isinstance(queue, list):
            raise ValueError("item_failures and queue must be lists")
        item_statuses = _statuses(data, "item_failure_statuses", (500,), 400, 599)
        if not item_statuses:
            raise ValueError("item_failure_statuses must not be empty")
        return cls(
            error_rate=_rate(data, "error_rate"),
            error_status=_req_int(data, "error_status", 503, 400, 599),
            error_statuses=_statuses(data, "error_statuses", (), 500, 599),
            rate_limit_rate=_rate(data, "rate_limit_rate"),
            retry_after=_req_int(data, "retry_after", 1, 0, 86_400),
            latency_ms=_req_int(data, "latency_ms", 0, 0, MAX_DELAY_MS),
            latency_spike_rate=_rate(data, "latency_spike_rate"),
            latency_spike_ms=_req_int(data, "latency_spike_ms", 0, 0, MAX_DELAY_MS),
            drop_rate=_rate(data, "drop_rate"),
            drop_after_rate=_rate(data, "drop_after_rate"),
            item_failure_rate=_rate(data, "item_failure_rate"),
            item_failure_statuses=item_statuses,
            item_failures=tuple(ItemFailure.from_dict(item) for item in failures),
            token_lifetime=_int(data, "token_lifetime", None, 0, 10**9),
            seed=_int(data, "seed", None, -(2**63), 2**63 - 1),
            queue=tuple(QueuedFault.from_dict(item) for item in queue),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def error(self, pick: float) -> int:
        """The status of an injected error for a uniform draw ``pick`` in [0, 1)."""
        return _pick(self.error_statuses, pick) if self.error_statuses else self.error_status


def _pick(choices: tuple[int, ...], draw: float) -> int:
    return choices[min(int(draw * len(choices)), len(choices) - 1)]


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
            code = _pick(settings.item_failure_statuses, status)
            return ItemFailure(code, f"injected item failure (status {code}); the item was not applied")
        return None
