"""The site record's planner and the round planner, as pure functions: what a change to a whole site
becomes, and in which order it may be sent."""

from __future__ import annotations

from typing import Any

from pulumi_chekt.resources.round_plan import Fail, Wait, plan_round
from pulumi_chekt.resources.site_changes import needs_live, plan_site, row_of
from pulumi_chekt.resources.writes import Kind, Write, new_create, new_delete, new_update
from pulumi_chekt.resources.zone_conflicts import undeclared_holders

SITE = (2, 3)


def row(zone: str, device_type: str = "camera", device_id: int | None = None, **extra: Any) -> dict[str, Any]:
    found = {"device_type": device_type, "zone_number": zone, **extra}
    return {**found, "device_id": device_id} if device_id is not None else found


def live(external_id: str, zone: str, device_id: int, device_type: str = "camera") -> dict[str, Any]:
    return {
        "external_device_id": external_id,
        "device_type": device_type,
        "zone_number": zone,
        "device_id": device_id,
    }


def kinds(writes: list[Write]) -> list[tuple[str, str, int | None]]:
    return sorted((w.kind.value, w.external_id, w.device_id) for w in writes)


def test_hardware_replacement_deletes_the_old_device_and_creates_the_new_one() -> None:
    previous = {"old-cam": row("007", device_id=1), "keeper": row("001", device_id=2)}
    declared = {"new-cam": row("007"), "keeper": row("001")}
    change = plan_site(
        SITE, previous, declared, [live("old-cam", "007", 1), live("keeper", "001", 2)], prune=False, now=0
    )
    assert kinds(change.writes) == [("create", "new-cam", None), ("delete", "old-cam", 1)]
    assert change.leaving == {1} and set(change.removed) == {"old-cam"}


def test_a_type_change_is_a_delete_then_a_create_and_other_fields_an_update_of_the_changed_fields() -> None:
    previous = {"unit": row("005", device_id=1), "other": row("006", device_id=2, name="a", mac="m")}
    declared = {"unit": row("005", "bridge"), "other": row("006", name="b", mac="m")}
    change = plan_site(
        SITE, previous, declared, [live("unit", "005", 1), live("other", "006", 2)], prune=False, now=0
    )
    assert kinds(change.writes) == [("create", "unit", None), ("delete", "unit", 1), ("update", "other", 2)]
    assert next(w for w in change.writes if w.kind is Kind.UPDATE).changes == {"name": "b"}


def test_in_place_updates_that_move_no_zone_need_no_list_and_use_the_recorded_ids() -> None:
    previous = {"a": row("001", device_id=11, name="x"), "b": row("002", device_id=12)}
    declared = {"a": row("001", name="y"), "b": row("002")}
    assert not needs_live(previous, declared, prune=False)
    change = plan_site(SITE, previous, declared, None, prune=False, now=0)
    assert kinds(change.writes) == [("update", "a", 11)]
    assert needs_live(previous, {"a": row("003", name="y"), "b": row("002")}, prune=False)  # a zone move
    assert needs_live(previous, declared, prune=True)
    assert needs_live(previous, {"a": row("001")}, prune=False)  # a removal


def test_prune_deletes_exactly_the_undeclared_devices_and_nothing_without_it() -> None:
    previous = {"a": row("001", device_id=1)}
    listing = [live("a", "001", 1), live("stray", "009", 5), live("stray", "010", 6)]
    assert plan_site(SITE, previous, {"a": row("001")}, listing, prune=False, now=0).writes == []
    pruned = plan_site(SITE, previous, {"a": row("001")}, listing, prune=True, now=0)
    assert kinds(pruned.writes) == [("delete", "stray", 5), ("delete", "stray", 6)]


def test_a_new_device_that_exists_live_is_a_create_the_runner_adopts_and_nothing_else_is_written() -> None:
    change = plan_site(SITE, {}, {"a": row("001")}, [live("a", "001", 1)], prune=False, now=0)
    assert kinds(change.writes) == [("create", "a", None)]  # matched live, with nothing to change


def test_a_device_deleted_outside_git_is_left_to_its_own_step() -> None:
    previous = {"a": row("001", device_id=1, name="x")}
    change = plan_site(SITE, previous, {"a": row("001", name="y")}, [], prune=False, now=0)
    assert change.writes == []


def test_rows_are_normalized_so_formatting_is_no_change() -> None:
    assert row_of({"zone_number": " 001 ", "additional_zone_numbers": ["002", "003"], "name": ""}) == row_of(
        {"zone_number": "001", "additional_zone_numbers": "002, 003"}
    )


# --- round planning ----------------------------------------------------------------------------------


def desired(external_id: str, zone: str) -> dict[str, Any]:
    return {
        "dealer_id": 2,
        "site_id": 3,
        "external_device_id": external_id,
        "device_type": "camera",
        "zone_number": zone,
    }


def move(device_id: int, external_id: str, old: str, new: str) -> Write:
    return new_update(device_id, desired(external_id, old), desired(external_id, new), now=0)


def fail_rule(write: Write, holder: int) -> Fail:
    return Fail(f"{write.external_id} blocked by {holder}")


def test_a_move_into_a_zone_freed_by_a_delete_waits_for_the_delete() -> None:
    writes = [new_delete(2, "cam-b", now=0), move(1, "cam-a", "001", "002")]
    plan = plan_round(writes, {"001": 1, "002": 2}, fail_rule)
    assert plan.deletes == [0] and plan.updates == [] and isinstance(plan.decided[1], Wait)
    after = plan_round(writes[1:], {"001": 1}, fail_rule)  # the next round, cam-b gone
    assert after.updates == [(0, {"zone_number": "002"}, False)]


def test_a_swap_steps_one_device_aside_to_a_free_zone_and_never_sends_a_refused_state() -> None:
    writes = [move(1, "a", "001", "002"), move(2, "b", "002", "001")]
    plan = plan_round(writes, {"001": 1, "002": 2}, fail_rule)
    assert plan.creates == [] and len(plan.updates) == 1
    _index, fields, aside = plan.updates[0]
    assert aside and fields["zone_number"] not in {"001", "002"}


def test_a_zone_held_by_a_device_no_write_moves_is_left_to_the_holder_rule() -> None:
    writes = [new_create(desired("new", "007"), now=0)]
    plan = plan_round(writes, {"007": 9}, fail_rule)
    assert plan.creates == [] and plan.decided == {0: Fail("new blocked by 9")}


def test_undeclared_holders_are_named_unless_prune_deletes_them() -> None:
    listing = [live("stray", "007", 9), live("kept", "001", 1)]
    found = undeclared_holders([("new", "007"), ("kept", "001")], listing, {"new", "kept"}, prune=False)
    assert [(c.external_id, c.zone, c.holder["device_id"]) for c in found] == [("new", "007", 9)]
    assert "'stray' (device_id 9), which no site file declares" in found[0].reason
    assert undeclared_holders([("new", "007")], listing, {"new", "kept"}, prune=True) == []
