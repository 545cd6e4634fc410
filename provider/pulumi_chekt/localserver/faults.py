"""Fault injection: what the server should do wrong, and the per-request decision.

Settings come from the config file, the CLI or ``PUT /_admin/faults`` (which replaces them all);
one-shot faults are appended with ``POST /_admin/faults/queue``. Random rates use one RNG seeded
from ``seed``, and every API request draws exactly three numbers (drop, rate limit, error) whether
or not a rate is set, so a seeded run is reproducible. Nothing here knows about HTTP objects.
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


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null")
    return value


MAX_DELAY_MS = 600_000


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
    """The whole fault configuration; the default injects nothing."""

    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    latency_ms: int = 0
    drop_rate: float = 0.0
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
            "error_rate", "error_status", "rate_limit_rate", "retry_after", "latency_ms",
            "drop_rate", "item_failures", "token_lifetime", "seed", "queue",
        }  # fmt: skip
        _check_keys(data, fields, "faults")
        failures = data.get("item_failures") or []
        queue = data.get("queue") or []
        if not isinstance(failures, list) or not isinstance(queue, list):
            raise ValueError("item_failures and queue must be lists")
        return cls(
            error_rate=_rate(data, "error_rate"),
            error_status=_req_int(data, "error_status", 503, 400, 599),
            rate_limit_rate=_rate(data, "rate_limit_rate"),
            retry_after=_req_int(data, "retry_after", 1, 0, 86_400),
            latency_ms=_req_int(data, "latency_ms", 0, 0, MAX_DELAY_MS),
            drop_rate=_rate(data, "drop_rate"),
            item_failures=tuple(ItemFailure.from_dict(item) for item in failures),
            token_lifetime=_int(data, "token_lifetime", None, 0, 10**9),
            seed=_int(data, "seed", None, -(2**63), 2**63 - 1),
            queue=tuple(QueuedFault.from_dict(item) for item in queue),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        self.replace(settings or FaultSettings())

    def replace(self, settings: FaultSettings) -> None:
        """Swap in a whole new configuration (queue and item failure counters included)."""
        with self._lock:
            self._settings = settings
            self._queue = list(settings.queue)
            self._failures = list(settings.item_failures)
            self._rng = random.Random(settings.seed)

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
            drop, limited, failed = (self._rng.random() for _ in range(3))
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
                before = Action(settings.error_status, delay_ms=delay, reason="injected server error")
        return Plan(latency_ms=settings.latency_ms, before=before, after=after)

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
        """The forced failure for this bulk item, if any (counts down ``times``)."""
        with self._lock:
            for index, failure in enumerate(self._failures):
                if failure.matches(external_device_id, device_id):
                    if failure.times is not None:
                        if failure.times > 1:
                            self._failures[index] = replace(failure, times=failure.times - 1)
                        else:
                            del self._failures[index]
                    return failure
        return None
