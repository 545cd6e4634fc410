"""Counts of API requests per ``"<METHOD> <route template>"``, so tests can prove what a client sent."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    """Thread-safe request counter; admin requests are never counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, method: str, route: str) -> None:
        with self._lock:
            self._counts[f"{method.upper()} {route}"] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            requests = dict(sorted(self._counts.items()))
        return {"total": sum(requests.values()), "requests": requests}
