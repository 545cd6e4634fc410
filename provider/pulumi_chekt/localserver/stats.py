"""Counts of API requests per ``"<METHOD> <route template>"``, so tests can prove what a client sent, and
of the devices returned by list calls, so benchmarks can prove a client does not list a site over and over."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    """Thread-safe request counter; admin requests are never counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._listed = 0

    def count(self, method: str, route: str) -> None:
        with self._lock:
            self._counts[f"{method.upper()} {route}"] += 1

    def count_listed(self, devices: int) -> None:
        """A list-devices call answered with ``devices`` devices (counted even if a fault loses the answer)."""
        with self._lock:
            self._listed += devices

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._listed = 0

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            requests = dict(sorted(self._counts.items()))
            listed = self._listed
        return {"total": sum(requests.values()), "requests": requests, "devices_listed": listed}
