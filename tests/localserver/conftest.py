"""Fixtures for the local server tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import LocalServer


@pytest.fixture(autouse=True)
def no_unexpected_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test during which the server logged an unexpected error (an uncaught exception -> 500)."""
    yield
    errors = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name.startswith("pulumi_chekt.localserver") and record.levelno >= logging.ERROR
    ]
    assert not errors


@pytest.fixture
def api(server: LocalServer) -> Api:
    """Calls the API of the per-test server as test-client."""
    return Api(server)


@pytest.fixture(name="assert_valid")
def assert_valid_fixture() -> Callable[[str, Any], None]:
    """``assert_valid("device", body)``: fail with the schema problems if the body breaks the schema."""
    return assert_valid
