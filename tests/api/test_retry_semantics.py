"""Issue 8: what each call may do to the server decides what is retried — the token endpoint and
idempotent calls ride through 5xx; the renewal margin scales with a short token lifetime."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient, ChektTokenError
from pulumi_chekt.api.auth import renewal_margin
from pulumi_chekt.api.errors import ChektServerError, ChektTransportError
from pulumi_chekt.api.retry import ItemVerdict, is_retryable, item_verdict, may_have_been_processed
from tests.api.conftest import SleepRecorder
from tests.routes import LIST, TOKEN, count


def test_a_500_on_the_site_list_is_retried(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=500, times=2, method="GET")
    assert client.list_devices(2, 3) == []
    assert count(admin, LIST) == 3


def test_5xx_from_the_token_endpoint_is_retried(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=500, times=1, path="/oauth/token")
    admin.queue_fault(status=502, times=1, path="/oauth/token")
    assert client.list_devices(2, 3) == []
    assert count(admin, TOKEN) == 3
    assert count(admin, LIST) == 1


def test_a_token_endpoint_that_keeps_failing_is_named_and_no_api_call_is_made(
    make_client: Callable[..., ChektClient], admin: Any, server: Any
) -> None:
    client = make_client()
    admin.queue_fault(status=503, times=50, path="/oauth/token")
    with pytest.raises(ChektTokenError) as caught:
        client.create_devices(
            2, 3, [{"external_device_id": "a", "device_type": "camera", "zone_number": "1"}]
        )
    assert f"getting an access token from {server.token_url} failed" in str(caught.value)
    assert caught.value.status == 503
    assert caught.value.trace_id and caught.value.trace_id in str(caught.value)
    assert not may_have_been_processed(caught.value)  # the create itself was never sent
    assert count(admin, TOKEN) == 4  # FAST_RETRIES.max_attempts


def test_a_ten_second_token_serves_many_calls(client: ChektClient, admin: Any) -> None:
    admin.set_faults(token_lifetime=10)
    for _ in range(20):
        client.list_devices(2, 3)
    assert count(admin, TOKEN) == 1  # was 20: the fixed 30 s margin made every 10 s token "expired"


@pytest.mark.parametrize(
    ("lifetime", "margin"), [(3600, 30.0), (120, 30.0), (60, 15.0), (10, 2.5), (0, 0.0), (None, 0.0)]
)
def test_renewal_margin_is_a_quarter_of_the_lifetime_at_most_30_seconds(
    lifetime: float | None, margin: float
) -> None:
    assert renewal_margin(lifetime) == margin


def test_waits_honour_retry_after_on_a_503_too(
    client: ChektClient, admin: Any, sleeps: SleepRecorder
) -> None:
    admin.queue_fault(status=503, retry_after=3, times=1, method="GET")
    client.list_devices(2, 3)
    assert sleeps.waits == [3.0]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_for_idempotent_calls(status: int) -> None:
    assert is_retryable(ChektServerError("x", status=status), idempotent=True)


@pytest.mark.parametrize(
    ("status", "again"), [(429, True), (503, True), (500, False), (502, False), (504, False)]
)
def test_a_create_is_sent_again_only_after_not_processed_statuses(status: int, again: bool) -> None:
    assert is_retryable(ChektServerError("x", status=status), idempotent=False) is again
    assert may_have_been_processed(ChektServerError("x", status=status)) is not again


def test_a_redirect_answering_a_create_may_mean_it_was_carried_out() -> None:
    assert may_have_been_processed(ChektServerError("see other", status=303))


def test_a_create_that_never_connected_was_not_processed() -> None:
    refused = ChektTransportError("refused", request_sent=False)
    dropped = ChektTransportError("dropped", request_sent=True)
    assert is_retryable(refused, idempotent=False) and not may_have_been_processed(refused)
    assert not is_retryable(dropped, idempotent=False) and may_have_been_processed(dropped)


@pytest.mark.parametrize(
    ("status", "create", "verdict"),
    [
        (429, False, ItemVerdict.RETRY),
        (503, True, ItemVerdict.RETRY),
        (500, False, ItemVerdict.RETRY),
        (500, True, ItemVerdict.LOOK_UP),
        (502, True, ItemVerdict.LOOK_UP),
        (409, True, ItemVerdict.CONFLICT),
        (409, False, ItemVerdict.CONFLICT),
        (400, True, ItemVerdict.FINAL),
        (404, False, ItemVerdict.FINAL),
        (422, False, ItemVerdict.FINAL),
        (None, True, ItemVerdict.LOOK_UP),
    ],
)
def test_item_verdicts(status: int | None, create: bool, verdict: ItemVerdict) -> None:
    assert item_verdict(status, create=create) is verdict
