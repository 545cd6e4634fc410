"""What this run intends to do to each device, learned from ``diff`` before any write is sent.

Used by the per-device path only (``pulumi up --target``, a ``Device`` used on its own): the engine
diffs every resource as the program registers it, and runs the writes later, up to four at a time.
When a write is refused because another device holds its zone, this record tells whether that
device is itself being moved in this run (a swap, which the device writer resolves by moving it
first) or not (a real conflict, reported with the holder's name). A site declared through
``SiteDevices`` does not need it: its site record's step knows the whole change up front.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_chekt.api import Device
from pulumi_chekt.contract.device_fields import ZONE


@dataclass(frozen=True)
class Plan:
    """The engine will update ``device_id`` in place from ``olds`` to ``news`` (normalized inputs), or,
    with ``replace``, delete it and create a new device."""

    device_id: int
    olds: dict[str, Any]
    news: dict[str, Any]
    replace: bool = False

    @property
    def zone(self) -> str | None:
        zone = self.news.get(ZONE)
        return zone if isinstance(zone, str) else None


class RunPlans:
    """Plans per site, and the devices already brought to their plan ahead of their own update."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[tuple[int, int], dict[int, Plan]] = {}
        self._applied: dict[tuple[int, int, int], tuple[dict[str, Any], Device]] = {}

    def record(self, site: tuple[int, int], plan: Plan) -> None:
        with self._lock:
            self._plans.setdefault(site, {})[plan.device_id] = plan

    def get(self, site: tuple[int, int], device_id: int) -> Plan | None:
        with self._lock:
            return self._plans.get(site, {}).get(device_id)

    def of_site(self, site: tuple[int, int]) -> list[Plan]:
        """Every plan still open at ``site`` (one lock, however large the site)."""
        with self._lock:
            return list(self._plans.get(site, {}).values())

    def forget(self, site: tuple[int, int], device_id: int) -> None:
        with self._lock:
            self._plans.get(site, {}).pop(device_id, None)

    def mark_applied(
        self, site: tuple[int, int], device_id: int, news: Mapping[str, Any], device: Mapping[str, Any]
    ) -> None:
        """The plan ``news`` was applied ahead of the device's own update, which can then answer at once."""
        with self._lock:
            self._applied[(*site, device_id)] = (dict(news), dict(device))
            self._plans.get(site, {}).pop(device_id, None)

    def take_applied(self, site: tuple[int, int], device_id: int, news: Mapping[str, Any]) -> Device | None:
        """The device as the plan left it, when the update now asked for is exactly that plan."""
        with self._lock:
            entry = self._applied.get((*site, device_id))
            if entry is None or entry[0] != dict(news):
                return None
            del self._applied[(*site, device_id)]
            return entry[1]
