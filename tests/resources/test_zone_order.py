"""The order of zone changes within a site: swaps and rotations step aside to a free zone; a holder
that nothing moves is left for the caller to report."""

from __future__ import annotations

from pulumi_chekt.resources.zone_order import ZoneMove, next_round, pick_temporary_zone


def test_free_zones_and_unchanged_zones_are_ready() -> None:
    plan = next_round(
        [ZoneMove("a", 1, "005", "001"), ZoneMove("b", 2, None, "002"), ZoneMove("c", None, "009")],
        {"001": 1, "002": 2},
    )
    assert plan.ready == ["a", "b", "c"]
    assert not plan.waiting and not plan.step_aside and not plan.held_by


def test_a_chain_waits_for_the_device_ahead_of_it() -> None:
    # b moves 002 -> 003 (free); a moves 001 -> 002 once b has left it.
    plan = next_round([ZoneMove("a", 1, "002", "001"), ZoneMove("b", 2, "003", "002")], {"001": 1, "002": 2})
    assert plan.ready == ["b"]
    assert plan.waiting == {"a": "b"}
    assert not plan.step_aside


def test_a_swap_steps_one_device_aside_to_a_free_zone() -> None:
    plan = next_round([ZoneMove("a", 1, "002", "001"), ZoneMove("b", 2, "001", "002")], {"001": 1, "002": 2})
    assert plan.ready == []
    assert plan.step_aside == {"a": "999"}  # the lowest device id steps aside, same width as its zone


def test_a_rotation_of_three_steps_one_aside() -> None:
    moves = [ZoneMove("a", 1, "2", "1"), ZoneMove("b", 2, "3", "2"), ZoneMove("c", 3, "1", "3")]
    plan = next_round(moves, {"1": 1, "2": 2, "3": 3})
    assert list(plan.step_aside) == ["a"]
    assert plan.step_aside["a"] not in {"1", "2", "3"}


def test_a_create_into_a_zone_being_vacated_waits() -> None:
    plan = next_round([ZoneMove("new", None, "001"), ZoneMove("old", 7, "050", "001")], {"001": 7})
    assert plan.ready == ["old"]
    assert plan.waiting == {"new": "old"}


def test_a_holder_that_nothing_moves_is_reported() -> None:
    plan = next_round([ZoneMove("a", 1, "002", "001")], {"001": 1, "002": 9})
    assert plan.held_by == {"a": 9}


def test_temporary_zones_avoid_every_zone_held_wanted_or_reserved() -> None:
    assert pick_temporary_zone("0002", {"9999", "9998"}) == "9997"
    assert pick_temporary_zone("7", {str(n) for n in range(10)}) == "99"
    assert pick_temporary_zone("Zone-A", set()) == "9999"
    plan = next_round(
        [ZoneMove("a", 1, "2", "1"), ZoneMove("b", 2, "1", "2")], {"1": 1, "2": 2}, reserved={"9"}
    )
    assert plan.step_aside == {"a": "8"}
