"""Which credentials the provider (and the CLI) use: a client assertion key from stack config, from
CHEKT_CLIENT_ASSERTION_KEY or from CHEKT_CLIENT_ASSERTION_KEY_FILE; clashing settings are refused by
name; the request budget's setting is read and checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.api import ChektConfigError
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig
from pulumi_chekt.resources.settings import CONFIG_KEYS, SECRET_KEYS, ProviderSettings
from tests.keys import ec_pair, rsa_pair

CLIENT = "keyed"


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[LocalServer]:
    config = ServerConfig(
        clients=[ClientConfig(CLIENT, None, "adc", public_key=ec_pair().public_pem)], dealers={2: [3]}
    )
    with LocalServer(config) as server:
        yield server


def _env(server: LocalServer, **extra: str) -> dict[str, str]:
    return {
        "CHEKT_BASE_URL": server.url,
        "CHEKT_TOKEN_URL": server.token_url,
        "CHEKT_CLIENT_ID": CLIENT,
        **extra,
    }


def test_the_key_is_a_secret_config_key_with_its_environment_variable() -> None:
    assert "clientAssertionKey" in SECRET_KEYS  # the program refuses it in plain text
    assert CONFIG_KEYS["clientAssertionKey"] == "CHEKT_CLIENT_ASSERTION_KEY"
    assert CONFIG_KEYS["clientAssertionKeyId"] == "CHEKT_CLIENT_ASSERTION_KEY_ID"
    assert CONFIG_KEYS["maxRequestsPerMinute"] == "CHEKT_MAX_REQUESTS_PER_MINUTE"


def test_the_key_works_from_config_from_the_environment_and_from_a_file(
    keyed_server: LocalServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "partner.pem"
    key_file.write_text(ec_pair().private_pem)
    ways: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"chekt:clientAssertionKey": ec_pair().private_pem}, _env(keyed_server)),
        ({}, _env(keyed_server, CHEKT_CLIENT_ASSERTION_KEY=ec_pair().private_pem)),
        ({}, _env(keyed_server, CHEKT_CLIENT_ASSERTION_KEY_FILE=str(key_file))),
    ]
    for config, env in ways:
        settings = ProviderSettings.resolve(config, env)
        assert settings.has_credentials
        assert "PRIVATE" not in repr(settings)
        with settings.make_client() as client:
            assert client.list_devices(2, 3) == []


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        (
            {},
            {"CHEKT_CLIENT_ASSERTION_KEY": "k", "CHEKT_CLIENT_ASSERTION_KEY_FILE": "/k.pem"},
            "both CHEKT_CLIENT_ASSERTION_KEY and CHEKT_CLIENT_ASSERTION_KEY_FILE are set: use one of them",
        ),
        (
            {"chekt:clientSecret": "s3cret-value"},
            {"CHEKT_CLIENT_ASSERTION_KEY_FILE": "/k.pem"},
            "both a client secret (chekt:clientSecret) and a client assertion key "
            "(CHEKT_CLIENT_ASSERTION_KEY_FILE) are set: use one of them",
        ),
        (
            {"chekt:clientAssertionKey": "k"},
            {"CHEKT_CLIENT_SECRET": "s3cret-value"},
            "both a client secret (CHEKT_CLIENT_SECRET) and a client assertion key (chekt:clientAssertionKey)",
        ),
        (
            {"chekt:clientId": None, "chekt:clientAssertionKey": rsa_pair().private_pem},
            {"CHEKT_CLIENT_ID": ""},
            "a client assertion key (chekt:clientAssertionKey) needs the client id it was registered for",
        ),
        (
            {"chekt:clientAssertionKeyId": "kid-1"},
            {},
            "chekt:clientAssertionKeyId is set but no client assertion key is",
        ),
        (
            {},
            {"CHEKT_CLIENT_ASSERTION_KEY_FILE": "/nonexistent/partner.pem"},
            "(/nonexistent/partner.pem): no such file",
        ),
        (
            {"chekt:maxRequestsPerMinute": "fast"},
            {"CHEKT_API_TOKEN": "api-token-x"},
            "chekt:maxRequestsPerMinute must be a positive whole number, got 'fast'",
        ),
        (
            {},
            {"CHEKT_API_TOKEN": "api-token-x", "CHEKT_MAX_REQUESTS_PER_MINUTE": "0"},
            "CHEKT_MAX_REQUESTS_PER_MINUTE must be a positive whole number, got '0'",
        ),
    ],
    ids=[
        "two-key-variables",
        "secret-and-key-file",
        "key-and-env-secret",
        "no-client-id",
        "kid-alone",
        "no-file",
        "rpm-text",
        "rpm-zero",
    ],
)
def test_clashing_or_unusable_settings_are_refused_by_name(
    config: dict[str, Any], env: dict[str, str], message: str
) -> None:
    settings = ProviderSettings.resolve(config, {"CHEKT_CLIENT_ID": CLIENT, **env})
    with pytest.raises(ChektConfigError) as raised:
        settings.make_client()
    assert message in str(raised.value)
    assert "PRIVATE KEY" not in str(raised.value)


def test_the_request_budget_setting_reaches_the_client() -> None:
    env = {"CHEKT_API_TOKEN": "api-token-x", "CHEKT_BASE_URL": "http://127.0.0.1:9"}
    with ProviderSettings.resolve({"chekt:maxRequestsPerMinute": "100"}, env).make_client() as client:
        assert client.budget.per_minute == 100
    with ProviderSettings.resolve({}, env).make_client() as client:
        assert client.budget.per_minute is None
