"""What may be sent again, and how long to wait: the one place that decides, for whole requests and
for the items of a bulk call, what a failure may have done to the server.

Requests (tenacity, exponential backoff with jitter, Retry-After honoured, bounded in attempts and
in total time):

- Idempotent calls (list, get, bulk update, bulk delete, the token endpoint) are retried on 429,
  500, 502, 503, 504, connection failures and timeouts: repeating them cannot do harm.
- A bulk create is not idempotent. It is re-sent at once only when the server provably did not
  process it: the connection could not be opened, or the answer was 429 or 503 ("not accepted, try
  later"). After a 500, a 502/504 from a gateway, a dropped connection or a read timeout the
  devices may exist: ``may_have_been_processed`` says so, and the caller looks them up by
  external_device_id before sending the create again (``resources/round_runner.py``).

Items of a bulk response (``item_verdict``): a 429/5xx item failed for a transient reason and is
retried on its own; for a create, a 500/502/504 item may still have been applied, so it is looked
up first, like a whole ambiguous request. 409 is a conflict (looked up: the same external id is
adopted, another holder of the zone is named). Any other 4xx is final.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_base, wait_exponential_jitter

from pulumi_chekt.api.errors import (
    ChektError,
    ChektHTTPError,
    ChektRateLimited,
    ChektServerError,
    ChektTLSError,
    ChektTokenError,
    ChektTransportError,
)
from pulumi_chekt.api.redaction import get_logger

log = get_logger("pulumi_chekt.api")  # redacted records

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses that say "try again later" for a whole request or for one item."""
NOT_PROCESSED_STATUSES = frozenset({429, 503})
"""Statuses that say the server did not act on the request, so even a create may be sent again."""
CONFLICT_STATUS = 409


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries. The defaults ride through a flaky API during a nightly ``pulumi up``: with
    a quarter of all requests failing, eight attempts leave about one request in 65,000 failed."""

    max_attempts: int = 8
    max_elapsed_seconds: float = 90.0
    backoff_initial_seconds: float = 0.25
    backoff_max_seconds: float = 8.0
    jitter_seconds: float = 0.5
    retry_after_cap_seconds: float = 60.0


NO_RETRIES = RetryPolicy(max_attempts=1)


def is_retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be answered by sending the same request again."""
    if isinstance(error, ChektTLSError | ChektTokenError):
        return False  # TLS will fail again; the token endpoint had its own retries already
    if isinstance(error, ChektTransportError):
        return idempotent or not error.request_sent
    if isinstance(error, ChektHTTPError) and error.status in TRANSIENT_STATUSES:
        return idempotent or error.status in NOT_PROCESSED_STATUSES
    return False


def may_have_been_processed(error: ChektError) -> bool:
    """Whether a failed create could still have created its devices (so they must be looked up)."""
    if isinstance(error, ChektTokenError):
        return False  # the API request was never sent
    if isinstance(error, ChektTransportError):
        return error.request_sent
    status = error.status or 0
    if 300 <= status < 400:
        return True  # e.g. a 303 "see other" after a POST that the server did carry out
    return status >= 500 and status not in NOT_PROCESSED_STATUSES


class ItemVerdict(Enum):
    """What a failed item of a bulk call means for the next step."""

    RETRY = "retry"
    """Not applied, for a transient reason: send the item again (after a backoff)."""
    LOOK_UP = "look up"
    """A create item that may have been applied anyway: look it up before sending it again."""
    CONFLICT = "conflict"
    """Another device holds its zone or external id: find out which before deciding."""
    FINAL = "final"
    """The API refused the item for good (any other 4xx)."""


def item_verdict(status: int | None, *, create: bool) -> ItemVerdict:
    """The verdict for a failed bulk item with HTTP ``status`` (None: the API gave no status)."""
    if status == CONFLICT_STATUS:
        return ItemVerdict.CONFLICT
    if status in TRANSIENT_STATUSES:
        if create and status not in NOT_PROCESSED_STATUSES:
            return ItemVerdict.LOOK_UP
        return ItemVerdict.RETRY
    if status is None or status >= 500:
        return ItemVerdict.LOOK_UP if create else ItemVerdict.RETRY
    return ItemVerdict.FINAL


def backoff_seconds(policy: RetryPolicy, attempt: int) -> float:
    """The wait before attempt ``attempt + 1`` of one item (exponential, capped; no jitter needed:
    items of one site are re-sent together anyway)."""
    return float(min(policy.backoff_max_seconds, policy.backoff_initial_seconds * 2.0 ** max(0, attempt - 1)))


class _BackoffOrRetryAfter(wait_base):
    """Retry-After when the server sent one (capped), else exponential backoff with jitter; never
    longer than what is left of the total time budget."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._backoff = wait_exponential_jitter(
            multiplier=policy.backoff_initial_seconds,
            max=policy.backoff_max_seconds,
            jitter=policy.jitter_seconds,
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        hint = error.retry_after if isinstance(error, ChektRateLimited | ChektServerError) else None
        wait = (
            min(hint, self._policy.retry_after_cap_seconds)
            if hint is not None
            else self._backoff(retry_state)
        )
        remaining = self._policy.max_elapsed_seconds - (retry_state.seconds_since_start or 0.0)
        return max(0.0, min(wait, remaining))


def _log_retry(retry_state: RetryCallState) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.info("retrying in %.2fs after attempt %d failed: %s", wait, retry_state.attempt_number, error)


def call_with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    idempotent: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation`` until it succeeds, fails for good, or the policy's bounds are reached."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_elapsed_seconds),
        wait=_BackoffOrRetryAfter(policy),
        retry=retry_if_exception(lambda error: is_retryable(error, idempotent=idempotent)),
        before_sleep=_log_retry,
        sleep=sleep,
        reraise=True,
    )
    return retrying(operation)
