"""Clients of the API under test, wired to the local server started by the shared ``server`` fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient, RetryPolicy
from tests.conftest import CLIENT_ID, CLIENT_SECRET

FAST_RETRIES = RetryPolicy(
    max_attempts=4, max_elapsed_seconds=30, backoff_initial_seconds=0.01, backoff_max_seconds=0.05
)


class SleepRecorder:
    """Records the waits the retry loop asks for instead of sleeping, so tests stay fast."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(server: Any, sleeps: SleepRecorder) -> Iterator[Callable[..., ChektClient]]:
    made: list[ChektClient] = []

    def make(**overrides: Any) -> ChektClient:
        options: dict[str, Any] = {
            "base_url": server.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_url": server.token_url,
            "retry": FAST_RETRIES,
            "sleep": sleeps,
        }
        options.update(overrides)
        client = ChektClient.from_credentials(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ChektClient]) -> ChektClient:
    return make_client()


def camera(external_id: str, zone: str, **extra: Any) -> dict[str, Any]:
    return {"external_device_id": external_id, "device_type": "camera", "zone_number": zone, **extra}
