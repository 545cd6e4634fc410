"""A per-client request limit, as CHeKT's plans have: a token bucket per client, 429 when it is empty.

Each caller (an OAuth client, with its token requests and every token it was issued, or an API key)
has a bucket holding ``burst`` requests (default: two seconds' worth), refilled at ``per_minute / 60`` a second. A request takes
one; with none left it is answered 429 with ``Retry-After``: the whole seconds until the next one is
due. Token requests count: the bucket is the client's, whatever it calls. Requests that fail
authentication count against nobody (they name no client that could be trusted).

No HTTP here; the clock is injected, so the rules are tested without waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


def default_burst(per_minute: int) -> int:
    """Two seconds' worth, at least two requests. CHeKT's published tiers allow bursts of three to five
    seconds' worth (5/s at 60/min, 30/s at 600/min, 200/s at 3,000/min), so this is stricter than any
    of them, yet leaves the one second's worth by which a client's budget (``api/budget.py``, one
    second's worth) may arrive unevenly after network and scheduling jitter."""
    return max(2, math.ceil(2 * per_minute / 60))


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per caller; ``per_minute=None`` admits everything."""

    def __init__(
        self,
        per_minute: int | None,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.burst = burst if burst is not None else default_burst(per_minute or 1)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    @property
    def message(self) -> str:
        """The reason given with a 429."""
        return f"rate limit of {self.per_minute} requests per minute exceeded for this client"

    def admit(self, caller: str) -> int | None:
        """None when ``caller`` may proceed (one request taken), else the Retry-After seconds (>= 1)."""
        if self.per_minute is None:
            return None
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.setdefault(caller, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.updated) * rate)
            bucket.updated = max(bucket.updated, now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def reset(self) -> None:
        """Every bucket full again."""
        with self._lock:
            self._buckets.clear()
