"""Counts of API requests per ``"<METHOD> <route template>"``, so tests can prove what a client sent, and
of the devices returned by list calls, so benchmarks can prove a client does not list a site over and over,
and of the requests the rate limit refused (429), so a test can prove a client kept to its budget."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    """Thread-safe request counter; admin requests are never counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._listed = 0
        self._rate_limited = 0

    def count(self, method: str, route: str) -> None:
        with self._lock:
            self._counts[f"{method.upper()} {route}"] += 1

    def count_listed(self, devices: int) -> None:
        """A list-devices call answered with ``devices`` devices (counted even if a fault loses the answer)."""
        with self._lock:
            self._listed += devices

    def count_rate_limited(self) -> None:
        """A request answered 429 by the per-client rate limit (not by fault injection)."""
        with self._lock:
            self._rate_limited += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._listed = 0
            self._rate_limited = 0

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            requests = dict(sorted(self._counts.items()))
            listed, limited = self._listed, self._rate_limited
        return {
            "total": sum(requests.values()),
            "requests": requests,
            "devices_listed": listed,
            "rate_limited": limited,
        }
