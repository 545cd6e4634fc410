"""The provider as the SDK pickles it into state, configure(), and secrets kept out of everything."""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import dill
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_chekt.resources import DeviceProvider, settings
from pulumi_chekt.resources.provider import wants_tracebacks
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.resources.conftest import ENV_VARS, inputs


def test_provider_pickles_by_reference_without_state(device_provider: DeviceProvider) -> None:
    device_provider.create(inputs())  # a live client, token, snapshot and writer exist on it...
    encoded = serialize_provider(device_provider)
    raw = base64.b64decode(encoded)
    assert b"pulumi_chekt.resources.provider" in raw
    assert b"DeviceProvider" in raw
    assert len(raw) < 400  # a reference, not a copy of the code or of a client
    for secret in (CLIENT_SECRET.encode(), b"requests", b"Session", b"Lock"):
        assert secret not in raw
    assert isinstance(dill.loads(raw), DeviceProvider)  # noqa: S301 (our own bytes)


def test_a_used_provider_serializes_to_the_bytes_a_new_process_gives(device_provider: DeviceProvider) -> None:
    """State holds these bytes as every Device's ``__provider`` input: if they changed with what the
    provider did at run time (a client, a token, snapshots) or from one process to the next, every
    device would show a diff on every preview."""
    device_provider.create(inputs())
    code = (
        "from pulumi.dynamic.dynamic import serialize_provider; "
        "from pulumi_chekt.resources import DeviceProvider; print(serialize_provider(DeviceProvider()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert serialize_provider(device_provider) == done.stdout.strip()


def test_configure_reads_stack_config_without_environment(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    provider = DeviceProvider()
    config = {
        "chekt:baseUrl": server.url,
        "chekt:tokenUrl": server.token_url,
        "chekt:clientId": CLIENT_ID,
        "chekt:clientSecret": CLIENT_SECRET,
    }
    provider.configure(ConfigureRequest(Config(config, "chekt-sites")))
    try:
        created = provider.create(inputs())
        assert created.id
    finally:
        provider.runtime.close()


def test_config_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHEKT_BASE_URL", "https://env.example")
    resolved = settings.ProviderSettings.resolve(
        {"chekt:baseUrl": "https://config.example"}, {"CHEKT_BASE_URL": "x"}
    )
    assert resolved.base_url == "https://config.example"
    assert (
        settings.ProviderSettings.resolve({}, {"CHEKT_BASE_URL": "https://env.example"}).base_url
        == "https://env.example"
    )


def test_settings_repr_hides_secrets() -> None:
    resolved = settings.ProviderSettings.resolve(
        {"chekt:clientSecret": "s3cr3t", "chekt:apiToken": "t0k3n"}, {}
    )
    assert "s3cr3t" not in repr(resolved)
    assert "t0k3n" not in repr(resolved)


def test_nothing_the_provider_returns_holds_a_credential(
    device_provider: DeviceProvider, server: Any
) -> None:
    created = device_provider.create(inputs(name="Front"))
    updated = device_provider.update(created.id, dict(created.outs or {}), inputs(name="Back"))
    read = device_provider.read(created.id, dict(updated.outs or {}))
    check = device_provider.check({}, inputs())
    diff = device_provider.diff(created.id, dict(read.outs or {}), inputs())
    token = device_provider.runtime.client._auth.bearer()
    everything = repr([created.outs, updated.outs, read.outs, check.inputs, vars(diff)])
    assert CLIENT_SECRET not in everything
    assert token not in everything
    assert CLIENT_ID not in everything


def test_the_pickled_provider_is_the_same_bytes_as_in_existing_stacks() -> None:
    """Every resource's state holds these bytes: if they changed, upgrading would churn every device."""
    assert serialize_provider(DeviceProvider()) == (
        "gASVOQAAAAAAAACMH3B1bHVtaV9jaGVrdC5yZXNvdXJjZXMucHJvdmlkZXKUjA5EZXZpY2VQcm92aWRlcpSTlCmBlC4="
    )


def test_configure_outside_the_provider_server_leaves_tracebacks_alone(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(sys, "tracebacklimit", raising=False)
    DeviceProvider().configure(ConfigureRequest(Config({"chekt:baseUrl": server.url}, "chekt-sites")))
    assert not hasattr(sys, "tracebacklimit")  # the SDK's stack traces in a program need it unset


def test_tracebacks_are_asked_for_with_an_environment_variable_or_engine_verbosity() -> None:
    assert not wants_tracebacks(["127.0.0.1:1234"], {})
    assert wants_tracebacks(["127.0.0.1:1234"], {"CHEKT_TRACEBACKS": "1"})
    assert wants_tracebacks(["--logtostderr", "-v=9", "127.0.0.1:1234"], {})
    assert not wants_tracebacks(["-v=0", "127.0.0.1:1234"], {})
