"""In which order zone changes of one site can be sent so that every intermediate state is valid.

The API keeps zone_number unique within a site, so a swap of two devices' zones, or a rotation of
three, is refused whichever write goes first. Given who holds each zone now and what every pending
write wants, ``next_round`` says which writes can go now, which wait for another device of the
batch to move away first, and which device of each cycle steps aside to a temporary free zone.
Pure functions, no HTTP: the site writer calls them before every round.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ZoneMove:
    """A pending write: ``device_id`` (None for a create) wants zone ``target`` (None: no zone change)."""

    key: Hashable
    device_id: int | None
    target: str | None
    current: str | None = None


@dataclass
class Round:
    """What to send in the next round."""

    ready: list[Hashable] = field(default_factory=list)
    """Writes whose zone is free now (or unchanged)."""
    waiting: dict[Hashable, Hashable] = field(default_factory=dict)
    """Write -> the write of the batch that must free its zone first."""
    step_aside: dict[Hashable, str] = field(default_factory=dict)
    """Write -> a free temporary zone its device moves to now, to break a cycle."""
    held_by: dict[Hashable, int] = field(default_factory=dict)
    """Write -> the device holding its zone that no write of the batch moves (the caller decides)."""


def next_round(
    moves: Iterable[ZoneMove], holders: Mapping[str, int], reserved: Collection[str] = ()
) -> Round:
    """Plan one round. ``holders`` maps each zone to the device holding it now; ``reserved`` holds zones
    that must not be used as temporary zones (targets of writes planned but not yet pending)."""
    pending = list(moves)
    by_device = {m.device_id: m for m in pending if m.device_id is not None and m.target is not None}
    plan = Round()
    for move in pending:
        holder = holders.get(move.target) if move.target is not None else None
        if holder is None or holder == move.device_id:
            plan.ready.append(move.key)
        elif holder in by_device and by_device[holder].target != move.target:
            plan.waiting[move.key] = by_device[holder].key
        else:
            plan.held_by[move.key] = holder
    taken = {*holders, *(m.target for m in pending if m.target is not None), *reserved}
    for cycle in _cycles(plan.waiting):
        moves_in_cycle = [m for m in pending if m.key in cycle]
        breaker = min(moves_in_cycle, key=lambda m: (m.device_id or 0, str(m.key)))
        temporary = pick_temporary_zone(breaker.current or breaker.target or "", taken)
        taken.add(temporary)
        plan.step_aside[breaker.key] = temporary
    return plan


def _cycles(waiting: Mapping[Hashable, Hashable]) -> list[set[Hashable]]:
    """The cycles of the waits-for graph (every node waits for at most one other)."""
    found: list[set[Hashable]] = []
    settled: set[Hashable] = set()
    for start in waiting:
        path: list[Hashable] = []
        node: Hashable | None = start
        while node is not None and node not in settled and node not in path:
            path.append(node)
            node = waiting.get(node)
        if node is not None and node in path:
            found.append(set(path[path.index(node) :]))
        settled.update(path)
    return found


def pick_temporary_zone(like: str, taken: Collection[str]) -> str:
    """A zone number no device holds or wants: the highest free number of the same width as ``like``
    (``"0002"`` -> ``"9999"``, ``"9998"``, ...), digits only, as a careful guess of what any API accepts."""
    width = len(like.strip()) if like.strip().isdigit() else 4
    for digits in (width, width + 1, width + 2):
        for number in range(10**digits - 1, 10 ** (digits - 1) - 1, -1):
            candidate = str(number).zfill(digits)
            if candidate not in taken:
                return candidate
    raise ValueError("no free temporary zone number")  # only with more than 10^(width+2) zones in use
