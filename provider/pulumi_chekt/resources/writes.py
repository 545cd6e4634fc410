"""One device write and its explicit state, with the pure rules that move it from state to state.

A write is immutable: every event (an item result, a failed request, a look-up, a give-up) yields a
new ``Write`` through one of the functions here, and the runner keeps the latest. That makes each
rule testable without threads or HTTP, and the whole life of a write readable in one place:

    QUEUED --(sent, item ok)--------------------------------> DONE
    QUEUED --(item 429/5xx, or request failed, retryable)---> QUEUED (due later, attempts + 1)
    QUEUED --(create maybe processed: lost answer, 500)-----> LOOK_UP --(found)--> DONE / QUEUED (update)
                                                                      --(absent)-> QUEUED (send again)
    QUEUED --(409 conflict)---------------------------------> QUEUED (after a fresh list)
    any    --(final 4xx, budget spent, real conflict)--------> FAILED

Per-item retry rules themselves (what may be re-sent) are ``api.retry``'s; this module applies them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_chekt.api import BulkItemResult, ChektError, Device
from pulumi_chekt.api.retry import ItemVerdict, RetryPolicy, backoff_seconds, item_verdict
from pulumi_chekt.contract.device_fields import DEVICE_ID, EXTERNAL_ID, ZONE
from pulumi_chekt.resources.errors import DeviceOperationError, item_error
from pulumi_chekt.resources.fields import update_changes


class Kind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class State(enum.Enum):
    QUEUED = "queued"
    """Waiting for a round at or after ``due``."""
    LOOK_UP = "look-up"
    """A create that may have been processed: find it in a fresh list before sending it again."""
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Write:
    """A pending create, update or delete of one device, and, once finished, its outcome."""

    kind: Kind
    external_id: str
    desired: Mapping[str, Any] = field(default_factory=dict)
    """Normalized inputs the device must end with (create, update)."""
    device_id: int | None = None
    """The device written (update, delete; a create once it adopted or found its device)."""
    changes: Mapping[str, Any] = field(default_factory=dict)
    """Update fields to send (an update, or a create that adopted a live device)."""
    state: State = State.QUEUED
    due: float = 0.0
    attempts: int = 0
    started: float = 0.0
    adopted: bool = False
    maybe_created: bool = False
    """A create of this write may have been processed (a lost answer): a live match is ours, not adopted."""
    relisted: bool = False
    """The site was listed again before this write's zone conflict was called real."""
    ahead: bool = False
    """Written ahead of the device's own call (a swap seen by the per-device path): a failure is
    dropped, the device's own call reports it."""
    waiting_since: float | None = None
    device: Device | None = None
    error: ChektError | None = None
    last_error: ChektError | None = None

    @property
    def finished(self) -> bool:
        return self.state in (State.DONE, State.FAILED)

    @property
    def is_create(self) -> bool:
        """A create that has no device yet (after adoption it is sent as an update)."""
        return self.kind is Kind.CREATE and self.device_id is None

    @property
    def target_zone(self) -> str | None:
        """The zone this write moves its device to (None: the write does not set the zone)."""
        zone = self.desired.get(ZONE) if self.is_create else self.changes.get(ZONE)
        return zone.strip() if isinstance(zone, str) else None

    def succeeded(self, device: Device) -> Write:
        return replace(self, state=State.DONE, device=dict(device), error=None)

    def failed(self, error: ChektError) -> Write:
        return replace(self, state=State.FAILED, error=error)

    def again_at(self, due: float, error: ChektError | None = None) -> Write:
        """Queued again for a round at ``due`` (``error`` kept as the reason, should it give up)."""
        return replace(self, state=State.QUEUED, due=due, last_error=error or self.last_error)


def new_create(desired: Mapping[str, Any], now: float) -> Write:
    return Write(Kind.CREATE, str(desired[EXTERNAL_ID]), desired=dict(desired), started=now, due=now)


def new_update(
    device_id: int, olds: Mapping[str, Any], desired: Mapping[str, Any], now: float, *, ahead: bool = False
) -> Write:
    external_id = str(desired.get(EXTERNAL_ID) or olds.get(EXTERNAL_ID) or device_id)
    return Write(
        Kind.UPDATE,
        external_id,
        desired=dict(desired),
        device_id=device_id,
        changes=update_changes(olds, desired),
        started=now,
        due=now,
        ahead=ahead,
    )


def new_delete(device_id: int, external_id: str, now: float) -> Write:
    return Write(Kind.DELETE, external_id, device_id=device_id, started=now, due=now)


# --- rules ---------------------------------------------------------------------------------------


def sent(write: Write) -> Write:
    """One more send of this write (every send counts against ``max_item_attempts``)."""
    return replace(write, attempts=write.attempts + 1)


def out_of_budget(write: Write, now: float, max_attempts: int, max_seconds: float) -> bool:
    return now - write.started > max_seconds or write.attempts >= max_attempts


def given_up(write: Write) -> Write:
    """The write spent its attempts or its time: fail with the last reason seen."""
    last = write.last_error
    if isinstance(last, DeviceOperationError):
        return write.failed(last)
    reason = f": {last}" if last is not None else ""
    return write.failed(
        DeviceOperationError(
            f"{write.kind.value} of device {write.external_id!r} gave up after {write.attempts} attempt(s)"
            f"{reason}",
            status=last.status if last else None,
            trace_id="",  # already part of the last reason's text
        )
    )


def request_failed(write: Write, error: ChektError) -> Write:
    """The whole request failed for good (the client already retried what it may): fail this write."""
    return write.failed(
        DeviceOperationError(
            f"{write.kind.value} of device {write.external_id!r} failed: {error}",
            status=error.status,
            trace_id="",  # already part of the wrapped text
            api_message=error.api_message,
        )
    )


def maybe_created(write: Write, error: ChektError) -> Write:
    """A create whose request may have been processed: look it up before sending it again."""
    return replace(write, state=State.LOOK_UP, maybe_created=True, last_error=error)


NOT_FOUND_HINT = "it was deleted outside Pulumi: run `pulumi refresh` to let the next `up` create it again"


def after_item(write: Write, item: BulkItemResult, trace_id: str, now: float, retry: RetryPolicy) -> Write:
    """Where one bulk item's result takes ``write`` (already counted as ``sent``)."""
    if item.is_successful:
        if write.kind is Kind.CREATE and write.device_id is None and item.device is None:
            return write.again_at(now)  # a success without a device: look it up by sending nothing twice
        return write.succeeded(item.device or {DEVICE_ID: write.device_id})
    if write.kind is Kind.DELETE and item.status_code == 404:
        return write.succeeded({DEVICE_ID: write.device_id})  # already gone counts as deleted
    creating = write.is_create
    error = item_error(write.kind.value, write.external_id, item, trace_id)
    if write.kind is Kind.UPDATE and item.status_code == 404 and not write.ahead:
        return write.failed(item_error("update", write.external_id, item, trace_id, hint=NOT_FOUND_HINT))
    verdict = item_verdict(item.status_code, create=creating)
    if verdict is ItemVerdict.FINAL:
        return write.failed(error)
    if verdict is ItemVerdict.LOOK_UP:
        return maybe_created(write, error)
    if verdict is ItemVerdict.CONFLICT:
        return replace(write.again_at(now, error), state=State.LOOK_UP if creating else State.QUEUED)
    return write.again_at(now + backoff_seconds(retry, write.attempts), error)


def outcome_error(write: Write) -> ChektError | None:
    """The error to report for a finished write (None when it succeeded)."""
    return write.error if write.state is State.FAILED else None
