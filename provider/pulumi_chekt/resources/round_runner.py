"""Sends one round of a site's writes and applies each item's result: the thin I/O part.

What to send is decided by ``round_plan`` (pure), what an answer means by ``writes`` and
``adoption`` (pure); here the requests go out — each kind in bulk requests of at most ``max_batch``
items, the requests of one kind side by side (they never depend on each other), deletes before
updates before creates — and the site's snapshot is kept current with what the API answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from pulumi_chekt.api import BulkResult, ChektError, ChektNotFound, Device
from pulumi_chekt.api.redaction import get_logger
from pulumi_chekt.api.retry import RetryPolicy, may_have_been_processed
from pulumi_chekt.contract.device_fields import DEVICE_ID, ZONE
from pulumi_chekt.resources.adoption import match_live
from pulumi_chekt.resources.errors import DeviceOperationError
from pulumi_chekt.resources.fields import api_item, overlay
from pulumi_chekt.resources.round_plan import (
    Fail,
    HolderRule,
    Relist,
    RoundPlan,
    Wait,
    WriteAhead,
    plan_round,
)
from pulumi_chekt.resources.snapshot import SiteSnapshot
from pulumi_chekt.resources.writes import (
    Kind,
    State,
    Write,
    after_item,
    given_up,
    maybe_created,
    out_of_budget,
    request_failed,
    sent,
)

log = get_logger("pulumi_chekt.provider")  # redacted records


class DevicesApi(Protocol):
    """The four calls the writers make (``ChektClient``'s; a simulated API in the schedule tests)."""

    def list_devices(self, dealer_id: int, site_id: int) -> list[Device]: ...

    def create_devices(
        self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]
    ) -> BulkResult: ...

    def update_devices(
        self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]
    ) -> BulkResult: ...

    def delete_devices(self, dealer_id: int, site_id: int, device_ids: Sequence[int]) -> BulkResult: ...


T = TypeVar("T")
R = TypeVar("R")
MapRequests = Callable[[Callable[[T], R], Sequence[T]], list[R]]
"""Runs one function over several request payloads, possibly side by side; results in order."""


@dataclass(frozen=True)
class WriterPolicy:
    """Bounds of batching and of per-item retries."""

    max_batch: int = 100
    """Items per bulk request at most."""
    gather_target: int = 4
    """Per-device path: stop gathering at this many items (the SDK's server runs four calls at a time)."""
    max_window_seconds: float = 1.0
    """Per-device path: longest wait for more items during a burst (never when the site is idle)."""
    idle_gap_seconds: float = 1.0
    """Per-device path: no arrival for this long means the site is idle; the next item goes at once."""
    max_item_attempts: int = 8
    """Sends of one item at most (transient failures, lost answers, conflicts)."""
    max_seconds: float = 300.0
    """Time one item may take, waits and retries included."""
    holder_wait_seconds: float = 60.0
    """Per-device path: how long a write waits for a device being replaced in this run to free its zone."""
    max_parallel_requests: int = 8
    """Bulk requests of one kind in flight at once (a site of more than ``max_batch`` devices)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def sequential(function: Callable[[T], R], payloads: Sequence[T]) -> list[R]:
    return [function(payload) for payload in payloads]


class ThreadedRequests:
    """Sends the requests of one kind side by side on a small pool shared by the whole process."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chekt-bulk")

    def __call__(self, function: Callable[[T], R], payloads: Sequence[T]) -> list[R]:
        if len(payloads) <= 1:
            return [function(payload) for payload in payloads]
        return list(self._pool.map(function, payloads))


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class RoundRunner:
    """Runs rounds of writes for one site against the API, keeping ``snapshot`` current."""

    def __init__(
        self,
        client: DevicesApi,
        site: tuple[int, int],
        snapshot: SiteSnapshot,
        *,
        policy: WriterPolicy,
        clock: Callable[[], float] = time.monotonic,
        map_requests: MapRequests[Any, Any] = sequential,
    ) -> None:
        self.client = client
        self.site = site
        self.snapshot = snapshot
        self.policy = policy
        self._clock = clock
        self._map = map_requests
        self._relist = False

    # --- a round -----------------------------------------------------------------------------------

    def run_round(self, writes: Sequence[Write], rule: HolderRule) -> list[Write]:
        """One round over ``writes`` (the due ones are sent); returns every write after it, in the same
        order, followed by any write sent ahead for a holder."""
        now = self._clock()
        current = [self._budgeted(write, now) for write in writes]
        if any(self._needs_live(write) for write in current):
            self._load_live()
        replacing = {w.external_id for w in current if w.kind is Kind.DELETE and not w.finished}
        current = [w if w.external_id in replacing else self._matched(w) for w in current]
        due = [
            i
            for i, w in enumerate(current)
            if w.state is State.QUEUED and w.due <= now and not (w.is_create and w.external_id in replacing)
        ]
        plan = plan_round([current[i] for i in due], self.snapshot.zones(), rule)
        plan = _reindexed(plan, due)
        current = self._apply_decisions(current, plan, now)
        self._send(current, plan)
        return current

    def _budgeted(self, write: Write, now: float) -> Write:
        if write.finished or not out_of_budget(
            write, now, self.policy.max_item_attempts, self.policy.max_seconds
        ):
            return write
        return given_up(write)

    @staticmethod
    def _needs_live(write: Write) -> bool:
        if write.finished:
            return False
        return write.state is State.LOOK_UP or write.is_create or write.target_zone is not None

    def _load_live(self) -> None:
        """A fresh list after a conflict or a lost answer; otherwise the snapshot we hold, if any."""
        if self._relist:
            self._relist = False
            self.snapshot.refresh()
        else:
            self.snapshot.ensure()

    def _matched(self, write: Write) -> Write:
        """A create checked against the live device with its external id (a replacement's create waits
        for the delete of the device it replaces instead: that one is not to be adopted)."""
        if write.finished or write.kind is not Kind.CREATE or write.device_id is not None:
            return write
        return match_live(write, self.snapshot.by_external_id(write.external_id), self.site)

    def _apply_decisions(self, writes: list[Write], plan: RoundPlan, now: float) -> list[Write]:
        result = list(writes)
        for index, decision in plan.decided.items():
            write = result[index]
            if isinstance(decision, Wait):
                result[index] = replace(write.again_at(max(now, decision.due)), waiting_since=decision.since)
            elif isinstance(decision, Fail):
                result[index] = write.failed(DeviceOperationError(decision.message, status=409))
            elif isinstance(decision, Relist):
                self._relist = True
                result[index] = replace(write.again_at(now), relisted=True)
            elif isinstance(decision, WriteAhead):
                result[index] = write.again_at(now)
                if not any(w.device_id == decision.write.device_id and not w.finished for w in result):
                    result.append(decision.write)
        return result

    # --- requests ----------------------------------------------------------------------------------

    def _send(self, writes: list[Write], plan: RoundPlan) -> None:
        self._send_deletes(writes, plan.deletes)
        self._send_updates(writes, plan.updates)
        self._send_creates(writes, plan.creates)

    def _send_deletes(self, writes: list[Write], indexes: list[int]) -> None:
        dealer, site = self.site

        def send(part: Sequence[int]) -> BulkResult | ChektError:
            return _attempt(lambda: self.client.delete_devices(dealer, site, [_id(writes[i]) for i in part]))

        for part, result in zip(
            chunks(indexes, self.policy.max_batch),
            self._map(send, chunks(indexes, self.policy.max_batch)),
            strict=True,
        ):
            for position, index in enumerate(part):
                write = sent(writes[index])
                if isinstance(result, ChektNotFound):  # the site (and so the device) is gone already
                    writes[index] = write.succeeded({DEVICE_ID: write.device_id})
                elif isinstance(result, ChektError):
                    writes[index] = request_failed(write, result)
                else:
                    writes[index] = after_item(
                        write, result.items[position], result.trace_id, self._clock(), self.policy.retry
                    )
                    self._note_conflict(result.items[position].status_code)
                    if writes[index].state is State.DONE:
                        self.snapshot.remove([_id(write)])

    def _send_updates(self, writes: list[Write], updates: list[tuple[int, dict[str, object], bool]]) -> None:
        dealer, site = self.site

        def send(part: Sequence[tuple[int, dict[str, object], bool]]) -> BulkResult | ChektError:
            items = [{DEVICE_ID: writes[i].device_id, **changes} for i, changes, _ in part]
            return _attempt(lambda: self.client.update_devices(dealer, site, items))

        parts = chunks(updates, self.policy.max_batch)
        for part, result in zip(parts, self._map(send, parts), strict=True):
            for position, (index, changes, stepping_aside) in enumerate(part):
                write = sent(writes[index])
                if isinstance(result, ChektError):
                    writes[index] = request_failed(write, result)
                    continue
                item = result.items[position]
                after = after_item(write, item, result.trace_id, self._clock(), self.policy.retry)
                self._note_conflict(item.status_code)
                if after.state is State.DONE:
                    device = self._merged(write, changes, item.device)
                    self.snapshot.put(device)
                    if stepping_aside:
                        log.info(
                            "moved device %s to free zone %s while zones are exchanged",
                            write.external_id,
                            changes.get(ZONE),
                        )
                        after = write.again_at(self._clock())
                    else:
                        after = after.succeeded(device)
                writes[index] = after

    def _send_creates(self, writes: list[Write], indexes: list[int]) -> None:
        dealer, site = self.site

        def send(part: Sequence[int]) -> BulkResult | ChektError:
            return _attempt(
                lambda: self.client.create_devices(dealer, site, [api_item(writes[i].desired) for i in part])
            )

        parts = chunks(indexes, self.policy.max_batch)
        for part, result in zip(parts, self._map(send, parts), strict=True):
            for position, index in enumerate(part):
                write = sent(writes[index])
                if isinstance(result, ChektError):
                    if may_have_been_processed(result):
                        log.info(
                            "create of %s may have been processed (%s); looking it up",
                            write.external_id,
                            result,
                        )
                        writes[index] = maybe_created(write, result)
                        self._relist = True
                    else:
                        writes[index] = request_failed(write, result)
                    continue
                item = result.items[position]
                after = after_item(write, item, result.trace_id, self._clock(), self.policy.retry)
                if after.state is State.LOOK_UP:
                    self._relist = True
                if after.state is State.DONE and item.device is not None:
                    self.snapshot.put(item.device)
                writes[index] = after

    def _note_conflict(self, status: int | None) -> None:
        if status == 409:
            self._relist = True

    def _merged(self, write: Write, changes: dict[str, object], answered: Device | None) -> Device:
        """The whole device after an update: what we knew, what we sent, and what the API answered
        (the reference shows update results holding a partial device)."""
        known = self.snapshot.get(_id(write)) or {**write.desired, DEVICE_ID: write.device_id}
        sent_values = {key: (value if value != "" else None) for key, value in changes.items()}
        return overlay(known, sent_values, answered or {})


def _attempt(call: Callable[[], BulkResult]) -> BulkResult | ChektError:
    """A request's result, or the error that ended it (the client retried what it may already)."""
    try:
        return call()
    except ChektError as error:
        return error


def _id(write: Write) -> int:
    assert write.device_id is not None
    return write.device_id


def _reindexed(plan: RoundPlan, due: list[int]) -> RoundPlan:
    """``plan`` made over the due writes only, with its indexes turned into indexes of all writes."""
    return RoundPlan(
        deletes=[due[i] for i in plan.deletes],
        updates=[(due[i], changes, aside) for i, changes, aside in plan.updates],
        creates=[due[i] for i in plan.creates],
        decided={due[i]: decision for i, decision in plan.decided.items()},
    )


def unfinished(writes: Iterable[Write]) -> list[Write]:
    return [write for write in writes if not write.finished]


MAX_ROUNDS = 200
"""Rounds of one batch at most; every write is bounded by its own attempts and time anyway."""


def run_to_completion(
    runner: RoundRunner,
    writes: Sequence[Write],
    rule_for: Callable[[list[Write]], HolderRule],
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[Write]:
    """Rounds until every write is finished, sleeping until the next one is due (retry backoffs)."""
    current = list(writes)
    for _ in range(MAX_ROUNDS):
        if all(write.finished for write in current):
            return current
        queued = [w.due for w in current if w.state is State.QUEUED]
        now = clock()
        if queued and min(queued) > now and not any(w.state is State.LOOK_UP for w in current):
            sleep(min(queued) - now)
        current = runner.run_round(current, rule_for(current))
    return [write if write.finished else given_up(write) for write in current]


def no_holders(writes: list[Write]) -> HolderRule:
    """For writes that move no zone (deletes): a holder is never asked about."""

    def rule(write: Write, holder_id: int) -> Fail:
        raise AssertionError(
            f"{write.kind.value} of {write.external_id!r} asked about zone holder {holder_id}"
        )

    return rule
