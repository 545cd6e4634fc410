"""Token refresh, retries and their limits, and the rule that a create is never sent twice blindly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_chekt.api import (
    ChektClient,
    ChektRateLimited,
    ChektServerError,
    ChektTimeout,
    ChektTransportError,
    RetryPolicy,
)
from tests.api.conftest import SleepRecorder, camera
from tests.routes import CREATE, LIST, TOKEN, UPDATE, count


def test_token_is_cached_between_calls(client: ChektClient, admin: Any) -> None:
    client.list_devices(2, 3)
    client.list_devices(2, 3)
    client.list_devices(2, 4)
    assert count(admin, TOKEN) == 1
    assert count(admin, LIST) == 3


def test_token_is_refreshed_before_it_expires(client: ChektClient, admin: Any) -> None:
    admin.set_faults(token_lifetime=2)  # renewed a quarter of its lifetime early: used for 1.5 s
    client.list_devices(2, 3)
    time.sleep(1.7)
    client.list_devices(2, 3)
    assert count(admin, TOKEN) == 2
    assert count(admin, LIST) == 2  # no request was rejected with 401 and re-sent


def test_a_rejected_token_is_refreshed_once_and_the_call_retried(client: ChektClient, admin: Any) -> None:
    client.list_devices(2, 3)
    admin.reset()  # the server forgets every token it issued (and its counters), as after a key rotation
    assert client.list_devices(2, 3) == []
    assert count(admin, TOKEN) == 1
    assert count(admin, LIST) == 2  # 401, then ok with the new token


def test_429_is_retried_honouring_retry_after(client: ChektClient, admin: Any, sleeps: SleepRecorder) -> None:
    admin.queue_fault(status=429, retry_after=2, times=2, method="GET")
    assert client.list_devices(2, 3) == []
    assert count(admin, LIST) == 3
    assert sleeps.waits == [2.0, 2.0]


def test_retries_stop_after_the_attempt_limit(client: ChektClient, admin: Any, sleeps: SleepRecorder) -> None:
    admin.queue_fault(status=503, times=10, method="GET")
    with pytest.raises(ChektServerError) as caught:
        client.list_devices(2, 3)
    assert caught.value.status == 503
    assert count(admin, LIST) == 4  # FAST_RETRIES.max_attempts
    assert len(sleeps.waits) == 3


def test_retry_waits_never_exceed_the_total_time_budget(
    make_client: Callable[..., ChektClient], admin: Any, sleeps: SleepRecorder
) -> None:
    budget = RetryPolicy(max_attempts=10, max_elapsed_seconds=3, backoff_initial_seconds=0.01)
    client = make_client(retry=budget)
    admin.queue_fault(status=429, retry_after=100, times=1, method="GET")
    client.list_devices(2, 3)
    assert len(sleeps.waits) == 1
    assert sleeps.waits[0] <= 3


def test_502_and_504_are_retried_for_idempotent_calls(client: ChektClient, admin: Any) -> None:
    created = client.create_devices(2, 3, [camera("cam", "001")])
    device_id = created.items[0].device["device_id"]  # type: ignore[index]
    admin.queue_fault(status=502, times=1, method="PUT")
    admin.queue_fault(status=504, times=1, method="PUT")
    assert client.update_devices(2, 3, [{"device_id": device_id, "name": "n"}]).success_count == 1
    assert count(admin, UPDATE) == 3


def test_create_is_retried_after_503_because_it_was_not_processed(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=503, times=1, method="POST", path=r"/devices$", when="before")
    result = client.create_devices(2, 3, [camera("cam", "001")])
    assert result.success_count == 1
    assert count(admin, CREATE) == 2
    assert len(client.list_devices(2, 3)) == 1


def test_create_is_not_repeated_after_a_500(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=500, times=1, method="POST", path=r"/devices$", when="after")
    with pytest.raises(ChektServerError) as caught:
        client.create_devices(2, 3, [camera("cam", "001")])
    assert caught.value.status == 500
    assert count(admin, CREATE) == 1
    assert len(client.list_devices(2, 3)) == 1  # the server did create it: a blind retry would duplicate


def test_create_is_not_repeated_after_a_502(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=502, times=1, method="POST", path=r"/devices$", when="after")
    with pytest.raises(ChektServerError):
        client.create_devices(2, 3, [camera("cam", "001")])
    assert count(admin, CREATE) == 1


def test_create_is_not_repeated_after_a_read_timeout(
    make_client: Callable[..., ChektClient], admin: Any
) -> None:
    client = make_client(timeout=(2.0, 0.5))
    admin.queue_fault(delay_ms=1500, times=1, method="POST", path=r"/devices$", when="after")
    with pytest.raises(ChektTimeout) as caught:
        client.create_devices(2, 3, [camera("cam", "001")])
    assert caught.value.request_sent is True
    assert count(admin, CREATE) == 1


def test_create_is_not_repeated_after_a_dropped_connection(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(drop=True, times=1, method="POST", path=r"/devices$", when="after")
    with pytest.raises(ChektTransportError) as caught:
        client.create_devices(2, 3, [camera("cam", "001")])
    assert caught.value.request_sent is True
    assert count(admin, CREATE) == 1


def test_reads_are_retried_after_a_dropped_connection(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(drop=True, times=1, method="GET")
    assert client.list_devices(2, 3) == []
    assert count(admin, LIST) == 2


def test_connection_refused_is_retried_then_reported(
    make_client: Callable[..., ChektClient], sleeps: SleepRecorder
) -> None:
    client = make_client(base_url="http://127.0.0.1:9", client_id=None, client_secret=None, api_token="k")
    with pytest.raises(ChektTransportError) as caught:
        client.create_devices(2, 3, [camera("cam", "001")])
    assert caught.value.request_sent is False  # so even the create was retried
    assert len(sleeps.waits) == 3


def test_429_on_create_is_retried(client: ChektClient, admin: Any) -> None:
    admin.queue_fault(status=429, retry_after=0, times=1, method="POST", path=r"/devices$")
    assert client.create_devices(2, 3, [camera("cam", "001")]).success_count == 1
    assert count(admin, CREATE) == 2


def test_rate_limited_error_carries_retry_after(make_client: Callable[..., ChektClient], admin: Any) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=1))
    admin.queue_fault(status=429, retry_after=7, times=1, method="GET")
    with pytest.raises(ChektRateLimited) as caught:
        client.list_devices(2, 3)
    assert caught.value.retry_after == 7.0
