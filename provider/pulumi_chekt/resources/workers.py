"""How many of the provider server's worker threads are busy, so a writer never waits for a write
that cannot come.

The SDK's dynamic provider server runs at most ``SERVER_WORKERS`` calls at a time
(``ThreadPoolExecutor(max_workers=4)`` in ``pulumi/dynamic/__main__.py``); further calls queue
until one returns. When every worker is inside a call of this provider, no other write can arrive
before one of them returns, so gathering more items for a bulk request would only add latency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_WORKERS = 4


class BusyWorkers:
    """Counts the provider calls in progress in this process."""

    def __init__(self, capacity: int = SERVER_WORKERS) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._busy = 0

    @contextmanager
    def busy(self) -> Iterator[None]:
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1

    def all_busy(self) -> bool:
        """True when no worker is free to bring another call."""
        with self._lock:
            return self._busy >= self._capacity
