"""What one round of a site's writes sends, decided without I/O.

A round is at most three kinds of bulk request, in this order: deletes (they free zones), updates
(zone moves ordered by ``zone_order``: a device leaves a zone before another takes it; a swap or a
rotation is broken by moving one device to a free temporary zone), then creates. A write whose zone
is held by a device that no write of the round moves is not sent: the caller's ``HolderRule``
decides whether it waits (the holder leaves later), is written ahead, or fails naming the holder.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

from pulumi_chekt.contract.device_fields import ZONE
from pulumi_chekt.resources.writes import Kind, State, Write
from pulumi_chekt.resources.zone_order import ZoneMove, next_round


@dataclass(frozen=True)
class Wait:
    """Not sent this round: try again at ``due`` (``since``: when a bounded wait for a holder began)."""

    due: float
    since: float | None = None


@dataclass(frozen=True)
class Relist:
    """List the site again, then try once more: our view of who holds the zone may be stale."""


@dataclass(frozen=True)
class Fail:
    """A real conflict: the write fails with ``message`` (status 409)."""

    message: str


@dataclass(frozen=True)
class WriteAhead:
    """Send ``write`` (the holder's own planned move) first; the waiting write goes in a later round."""

    write: Write


Decision = Wait | Relist | Fail | WriteAhead
HolderRule = Callable[[Write, int], Decision]
"""(a write, the device_id holding the zone it wants) -> what to do."""


@dataclass
class RoundPlan:
    deletes: list[int] = field(default_factory=list)
    """Indexes (into the writes given) of the deletes to send."""
    updates: list[tuple[int, dict[str, object], bool]] = field(default_factory=list)
    """(index, fields to send, stepping aside to a temporary zone)."""
    creates: list[int] = field(default_factory=list)
    decided: dict[int, Decision] = field(default_factory=dict)
    """Writes not sent this round, and why."""

    @property
    def sends(self) -> int:
        return len(self.deletes) + len(self.updates) + len(self.creates)


def _index(key: Hashable) -> int:
    return cast(int, key)  # the moves are keyed by their index in the writes given


def current_zone(write: Write, zone_of_device: Mapping[int, str]) -> str | None:
    return zone_of_device.get(write.device_id) if write.device_id is not None else None


def plan_round(
    writes: Iterable[Write],
    holders: Mapping[str, int],
    rule: HolderRule,
    *,
    reserved: Collection[str] = (),
) -> RoundPlan:
    """The round for ``writes`` (all due, QUEUED), given ``holders`` (zone -> device_id held live).

    Deletes go first and the writes waiting for them go in a later round, so every request of a
    round is valid whatever order the API applies its items in.
    """
    pending = list(writes)
    plan = RoundPlan()
    zone_of_device = {device_id: zone for zone, device_id in holders.items()}
    moving: list[tuple[int, Write]] = []
    for index, write in enumerate(pending):
        if write.state is not State.QUEUED:
            continue
        if write.kind is Kind.DELETE:
            plan.deletes.append(index)
        else:
            moving.append((index, write))
    deleting = {pending[i].device_id for i in plan.deletes}
    moves = [
        ZoneMove(index, write.device_id, write.target_zone, current_zone(write, zone_of_device))
        for index, write in moving
    ]
    round_ = next_round(moves, {z: d for z, d in holders.items() if d not in deleting}, reserved)
    for key, holder in round_.held_by.items():
        plan.decided[_index(key)] = rule(pending[_index(key)], holder)
    for key in round_.ready:
        index = _index(key)
        write = pending[index]
        if write.is_create:
            plan.creates.append(index)
        else:
            plan.updates.append((index, dict(write.changes), False))
    for key, zone in round_.step_aside.items():
        plan.updates.append((_index(key), {ZONE: zone}, True))
    for key in round_.waiting:
        if _index(key) not in round_.step_aside:
            plan.decided.setdefault(_index(key), Wait(0.0))  # after the device it waits for moved
    # A write whose zone is freed by a delete of this round waits for the delete's answer.
    freed = {zone for zone, device_id in holders.items() if device_id in deleting}
    for index, write in moving:
        if write.target_zone in freed and index not in plan.decided:
            plan.creates = [i for i in plan.creates if i != index]
            plan.updates = [u for u in plan.updates if u[0] != index]
            plan.decided[index] = Wait(0.0)
    return plan
