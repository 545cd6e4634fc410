"""A DeviceProvider wired to the local server through the environment, as a user's shell would be."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.resources.runtime import forget_runtimes
from tests.conftest import CLIENT_ID, CLIENT_SECRET

ENV_VARS = (
    "CHEKT_BASE_URL",
    "CHEKT_TOKEN_URL",
    "CHEKT_CLIENT_ID",
    "CHEKT_CLIENT_SECRET",
    "CHEKT_API_TOKEN",
    "CHEKT_CA_BUNDLE",
)


@pytest.fixture
def chekt_env(server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHEKT_BASE_URL", server.url)
    monkeypatch.setenv("CHEKT_TOKEN_URL", server.token_url)
    monkeypatch.setenv("CHEKT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CHEKT_CLIENT_SECRET", CLIENT_SECRET)
    yield


@pytest.fixture
def device_provider(chekt_env: None) -> Iterator[DeviceProvider]:
    """A provider as one provider process holds it: its runtime (client, snapshots) built on first use."""
    made = DeviceProvider()
    yield made
    forget_runtimes()


def inputs(external_id: str = "cam-1", zone: str = "001", **extra: Any) -> dict[str, Any]:
    return {
        "dealer_id": 2,
        "site_id": 3,
        "external_device_id": external_id,
        "device_type": "camera",
        "zone_number": zone,
        **extra,
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many seeded schedules ran and how long they took (the issue asks `make test` to show it)."""
    from tests.resources.test_schedules import SUMMARY

    for line in SUMMARY:
        terminalreporter.write_line(line)
