"""When a failed call may be sent again, and how long to wait: exponential backoff with jitter (tenacity).

Retried: 429, 502, 503, 504 and transport failures, bounded in attempts and in total time, honouring
Retry-After. A request that is not idempotent (bulk create) is retried only when the server provably
did not process it: the connection could not be opened, or the answer was 429 or 503 (both mean
"not accepted, try later"). After a 500, a 502/504 from a gateway, a reset connection or a read
timeout the devices may already exist, so a create is never repeated blindly: the caller (the
provider) looks the device up by external_device_id instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_base, wait_exponential_jitter

from pulumi_chekt.api.errors import (
    ChektHTTPError,
    ChektRateLimited,
    ChektServerError,
    ChektTLSError,
    ChektTransportError,
)

log = logging.getLogger("pulumi_chekt.api")

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Statuses that say the server did not act on the request, so even a create may be sent again.
NOT_PROCESSED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retries; the defaults suit an interactive ``pulumi up``."""

    max_attempts: int = 5
    max_elapsed_seconds: float = 60.0
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 10.0
    jitter_seconds: float = 0.5
    retry_after_cap_seconds: float = 60.0


NO_RETRIES = RetryPolicy(max_attempts=1)


def is_retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether ``error`` may be answered by sending the same request again."""
    if isinstance(error, ChektTLSError):
        return False
    if isinstance(error, ChektTransportError):
        return idempotent or not error.request_sent
    if isinstance(error, ChektHTTPError) and error.status in RETRYABLE_STATUSES:
        return idempotent or error.status in NOT_PROCESSED_STATUSES
    return False


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
    log.warning("retrying in %.2fs after attempt %d failed: %s", wait, retry_state.attempt_number, error)


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
