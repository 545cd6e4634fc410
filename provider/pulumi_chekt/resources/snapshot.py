"""What one provider process knows of a site's live devices: listed once, then kept current by
applying its own successful writes, re-listed only when an answer contradicts it or it is old.

This replaces a list call per create (quadratic in site size) with one list per site per run, and
it is what adoption (by external_device_id) and zone-conflict resolution (who holds a zone) read.
Thread-safe: concurrent callers of ``ensure`` wait for one list call instead of each making one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_chekt.api import Device
from pulumi_chekt.contract.device_fields import DEVICE_ID, EXTERNAL_ID, ZONE

WRITE_MAX_AGE_SECONDS = 600.0
"""Writers trust a snapshot this long: within one `pulumi up` the devices of a site change through
this process; conflicts (409) and lost answers re-list at once whatever the age."""
READ_MAX_AGE_SECONDS = 15.0
"""``pulumi refresh`` reads every device of a site within seconds; one list serves them all."""


def zone_of(device: Mapping[str, Any]) -> str | None:
    """The zone_number a device holds, as compared for uniqueness (surrounding whitespace ignored)."""
    zone = device.get(ZONE)
    return zone.strip() if isinstance(zone, str) else None


class SiteSnapshot:
    """The live devices of one site, by device_id, with indexes by external id and by zone."""

    def __init__(
        self, fetch: Callable[[], list[Device]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._list_lock = threading.Lock()
        self._devices: dict[int, Device] = {}
        self._listed_at: float | None = None
        self._written = False

    # --- loading -------------------------------------------------------------------------------

    def ensure(self, max_age: float = WRITE_MAX_AGE_SECONDS, *, as_listed: bool = False) -> None:
        """List the site unless a list younger than ``max_age`` is already held. With ``as_listed``
        (a refresh reading for drift) the list must also be as the API gave it, not kept current
        by our own writes since: those could hide a change made by someone else meanwhile."""
        if self._fresh(max_age, as_listed):
            return
        with self._list_lock:
            if not self._fresh(max_age, as_listed):  # another thread may have listed while we waited
                self._load()

    def refresh(self) -> None:
        """List the site now (after a conflict or a lost answer contradicted what we hold)."""
        with self._list_lock:
            self._load()

    @property
    def loaded(self) -> bool:
        return self._listed_at is not None

    def _fresh(self, max_age: float, as_listed: bool) -> bool:
        listed = self._listed_at
        if as_listed and self._written:
            return False
        return listed is not None and self._clock() - listed < max_age

    def _load(self) -> None:
        devices = self._fetch()
        with self._lock:
            self._devices = {int(d[DEVICE_ID]): dict(d) for d in devices if _has_id(d)}
            self._listed_at = self._clock()
            self._written = False

    # --- reading -------------------------------------------------------------------------------

    def get(self, device_id: int) -> Device | None:
        with self._lock:
            device = self._devices.get(device_id)
            return dict(device) if device is not None else None

    def by_external_id(self, external_id: str) -> Device | None:
        with self._lock:
            for device in self._devices.values():
                if device.get(EXTERNAL_ID) == external_id:
                    return dict(device)
        return None

    def zones(self) -> dict[str, int]:
        """zone_number -> device_id of every device held."""
        with self._lock:
            return {
                zone: device_id for device_id, d in self._devices.items() if (zone := zone_of(d)) is not None
            }

    def devices(self) -> list[Device]:
        with self._lock:
            return [dict(device) for device in self._devices.values()]

    # --- applying our own writes ---------------------------------------------------------------

    def put(self, device: Mapping[str, Any]) -> None:
        """Record a device as the API now holds it (after a successful create or update)."""
        if not _has_id(device):
            return
        with self._lock:
            device_id = int(device[DEVICE_ID])
            self._devices[device_id] = {**self._devices.get(device_id, {}), **device}
            self._written = True

    def remove(self, device_ids: Iterable[int]) -> None:
        with self._lock:
            for device_id in device_ids:
                self._devices.pop(device_id, None)
            self._written = True


def _has_id(device: Mapping[str, Any]) -> bool:
    value = device.get(DEVICE_ID)
    return isinstance(value, int) and not isinstance(value, bool)
