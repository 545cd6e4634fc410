"""Shared fixtures: a local CHeKT API server per test, with known clients, keys and sites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import AdminClient, ApiKeyConfig, ClientConfig, LocalServer, ServerConfig

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-client-secret-value"
API_KEY = "test-api-key-value"


@pytest.fixture
def server_config() -> ServerConfig:
    """Two clients (one limited to dealer 5), one API key, dealers 2, 5 and 7 with their sites."""
    return ServerConfig(
        clients=[
            ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, partner="adc"),
            ClientConfig(
                client_id="limited-client", client_secret="limited-client-secret", partner="oe", dealers=[5]
            ),
        ],
        api_keys=[ApiKeyConfig(key=API_KEY, partner="chekt")],
        dealers={2: [3, 4], 5: [6], 7: [8]},
    )


@pytest.fixture
def server(server_config: ServerConfig) -> Iterator[LocalServer]:
    """A started server on a free loopback port, stopped after the test."""
    with LocalServer(server_config) as running:
        yield running


@pytest.fixture
def admin(server: LocalServer) -> AdminClient:
    return server.admin


@pytest.fixture
def api(server: LocalServer) -> Iterator[ChektClient]:
    """An independent client for looking at, and changing, the API behind the code under test."""
    client = ChektClient.from_credentials(
        base_url=server.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url=server.token_url
    )
    yield client
    client.close()
