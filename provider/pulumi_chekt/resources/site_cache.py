"""A short-lived per-site cache of the device list, so refreshing N devices of one site costs one call.

Only ``read`` uses it; every write invalidates its site. Concurrent readers of one site wait for the
first one's list call instead of each making their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from pulumi_chekt.api import Device

DEFAULT_TTL_SECONDS = 15.0


class SiteListCache:
    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self._ttl = ttl_seconds
        self._guard = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._entries: dict[Hashable, tuple[float, list[Device]]] = {}

    def devices(self, key: Hashable, fetch: Callable[[], list[Device]]) -> list[Device]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry[0] < self._ttl:
                return entry[1]
            fresh = fetch()
            self._entries[key] = (time.monotonic(), fresh)
            return fresh

    def invalidate(self, key: Hashable) -> None:
        with self._guard:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
