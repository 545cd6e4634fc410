"""The states of one write and the rules that move it (pure: no HTTP, no threads, no clock)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_chekt.api import BulkItemResult, ChektServerError
from pulumi_chekt.api.retry import RetryPolicy
from pulumi_chekt.resources.adoption import match_live
from pulumi_chekt.resources.errors import DeviceOperationError
from pulumi_chekt.resources.fields import update_changes as differing
from pulumi_chekt.resources.writes import (
    Kind,
    State,
    after_item,
    given_up,
    new_create,
    new_delete,
    new_update,
    out_of_budget,
    sent,
)

RETRY = RetryPolicy()
SITE = (2, 3)


def desired(external_id: str = "cam", zone: str = "001", **extra: Any) -> dict[str, Any]:
    return {"dealer_id": 2, "site_id": 3, "external_device_id": external_id, "device_type": "camera",
            "zone_number": zone, **extra}  # fmt: skip


def item(ok: bool, status: int | None = None, device: dict[str, Any] | None = None) -> BulkItemResult:
    return BulkItemResult(
        index=0, request={}, is_successful=ok, status_code=status, error_message="said", device=device
    )


def test_differing_sends_only_changed_fields_and_clears_with_an_empty_string() -> None:
    assert differing(desired(name="A", mac="m"), desired(name="B")) == {"name": "B", "mac": ""}
    assert (
        differing(
            desired(additional_zone_numbers="002, 003"), desired(additional_zone_numbers=["002", "003"])
        )
        == {}
    )


def test_a_successful_item_finishes_the_write_with_the_device() -> None:
    write = sent(new_create(desired(), now=0.0))
    after = after_item(write, item(True, device={"device_id": 9}), "t", 1.0, RETRY)
    assert after.state is State.DONE and after.device == {"device_id": 9}


@pytest.mark.parametrize("status", [429, 503])
def test_a_transient_item_failure_queues_the_write_again_later(status: int) -> None:
    write = sent(new_update(5, desired(), desired(name="x"), now=0.0))
    after = after_item(write, item(False, status), "t", 10.0, RETRY)
    assert after.state is State.QUEUED and after.due > 10.0
    assert after.last_error is not None and f"status {status}" in str(after.last_error)


def test_a_create_item_that_may_have_been_processed_is_looked_up_not_resent() -> None:
    after = after_item(sent(new_create(desired(), now=0.0)), item(False, 500), "t", 1.0, RETRY)
    assert after.state is State.LOOK_UP and after.maybe_created


def test_a_final_item_failure_fails_with_status_message_and_trace_id() -> None:
    after = after_item(sent(new_create(desired(), now=0.0)), item(False, 422), "trace-1", 1.0, RETRY)
    assert after.state is State.FAILED
    assert isinstance(after.error, DeviceOperationError)
    assert (
        "status 422" in str(after.error) and "said" in str(after.error) and after.error.trace_id == "trace-1"
    )


def test_a_delete_of_a_device_already_gone_counts_as_deleted() -> None:
    after = after_item(sent(new_delete(7, "cam", now=0.0)), item(False, 404), "t", 1.0, RETRY)
    assert after.state is State.DONE


def test_an_update_of_a_device_deleted_out_of_band_says_to_refresh() -> None:
    after = after_item(
        sent(new_update(7, desired(), desired(name="x"), now=0.0)), item(False, 404), "t", 1.0, RETRY
    )
    assert after.state is State.FAILED and "pulumi refresh" in str(after.error)


def test_budgets_bound_attempts_and_time_and_give_up_with_the_last_reason() -> None:
    write = new_create(desired(), now=0.0)
    assert not out_of_budget(write, 1.0, max_attempts=2, max_seconds=10)
    assert out_of_budget(sent(sent(write)), 1.0, max_attempts=2, max_seconds=10)
    assert out_of_budget(write, 11.0, max_attempts=2, max_seconds=10)
    last = ChektServerError("boom", method="POST", path="/p", status=503, trace_id="t9")
    failed = given_up(sent(write).again_at(1.0, last))
    assert failed.state is State.FAILED
    assert (
        str(failed.error)
        == "create of device 'cam' gave up after 1 attempt(s): POST /p -> 503: boom (trace id t9)"
    )


def test_a_live_device_of_the_same_type_is_adopted_with_only_the_differing_fields() -> None:
    live = {**desired(name="Old"), "device_id": 4}
    adopted = match_live(new_create(desired(name="New"), now=0.0), live, SITE)
    assert adopted.kind is Kind.CREATE and adopted.device_id == 4 and adopted.adopted
    assert adopted.changes == {"name": "New"} and adopted.state is State.QUEUED
    same = match_live(new_create(desired(), now=0.0), {**desired(), "device_id": 4}, SITE)
    assert same.state is State.DONE and same.adopted


def test_a_create_found_after_a_lost_answer_is_ours_not_adopted() -> None:
    lost = after_item(sent(new_create(desired(), now=0.0)), item(False, 502), "t", 1.0, RETRY)
    found = match_live(lost, {**desired(), "device_id": 4}, SITE)
    assert found.state is State.DONE and not found.adopted
    absent = match_live(lost, None, SITE)
    assert absent.state is State.QUEUED and absent.device_id is None  # sent again


def test_a_live_device_of_another_type_is_never_adopted() -> None:
    refused = match_live(
        new_create(desired(), now=0.0), {**desired(device_type="bridge"), "device_id": 4}, SITE
    )
    assert refused.state is State.FAILED
    assert "already exists at dealer 2 site 3 as a bridge, not a camera" in str(refused.error)
