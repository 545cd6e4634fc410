"""Who is in the way of a zone, said once: the provider's errors, the preview's warnings and
``summarize --live`` use the same words and the same rule.

A zone wanted by a declared device is in the way when, after the change, it is still held by a
live device that the site's files do not keep there: a device no file declares (unless ``prune``
deletes it), or a declared device whose file gives it another zone that nothing moves it to.
Pure functions over plain data; no Pulumi import (the CLI uses them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_chekt.contract.device_fields import DEVICE_ID, EXTERNAL_ID, ZONE

UNDECLARED_ADVICE = "delete it in CHeKT, declare it in the site file, or set `prune: true` in the site file"


def holder_text(holder: Mapping[str, Any]) -> str:
    return f"device {holder.get(EXTERNAL_ID, '?')!r} (device_id {holder.get(DEVICE_ID, '?')})"


def undeclared_reason(zone: str, holder: Mapping[str, Any]) -> str:
    return f"zone_number {zone!r} is already used by {holder_text(holder)}, which no site file declares; {UNDECLARED_ADVICE}"


def held_by_undeclared(action: str, external_id: str, zone: str, holder: Mapping[str, Any]) -> str:
    return f"{action} of device {external_id!r} failed: {undeclared_reason(zone, holder)}"


def held_by_unmoved(action: str, external_id: str, zone: str, holder: Mapping[str, Any], why: str) -> str:
    return (
        f"{action} of device {external_id!r} failed: zone_number {zone!r} is already used by "
        f"{holder_text(holder)}, {why}; give one of them another zone"
    )


NOT_MOVED = "which this update does not move"
MOVE_FAILED = "whose own write failed"
DELETE_FAILED = "which this change removes but could not delete"
LIVE_ZONE_DIFFERS = "whose zone in CHeKT differs from its site file (run `pulumi refresh`)"


@dataclass(frozen=True)
class ZoneConflict:
    """``external_id`` wants ``zone``, held by the undeclared live device ``holder``."""

    external_id: str
    zone: str
    holder: Mapping[str, Any]

    @property
    def reason(self) -> str:
        return undeclared_reason(self.zone, self.holder)


def undeclared_holders(
    wanted: Iterable[tuple[str, str]],
    live: Iterable[Mapping[str, Any]],
    declared: Collection[str],
    *,
    prune: bool,
) -> list[ZoneConflict]:
    """The (external id, zone) pairs whose zone a live device that no file declares holds.

    ``declared`` holds the external ids the site's file declares; with ``prune`` such devices are
    deleted first, so nothing is in the way.
    """
    if prune:
        return []
    held: dict[str, Mapping[str, Any]] = {}
    for device in live:
        zone = device.get(ZONE)
        if isinstance(zone, str) and str(device.get(EXTERNAL_ID)) not in declared:
            held.setdefault(zone.strip(), device)
    return [
        ZoneConflict(external_id, zone, held[zone])
        for external_id, zone in wanted
        if zone in held and str(held[zone].get(EXTERNAL_ID)) != external_id
    ]
