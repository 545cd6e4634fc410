"""The https/loopback rule cannot be bypassed (issue 9, gap 4): redirects are never followed,
proxies never see loopback http, and ``caBundle`` wins over the environment's CA variables.

Every peer here is a stub on 127.0.0.1 (tests/api/stubs.py); no test leaves this host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.api import (
    ChektClient,
    ChektError,
    ChektRedirectError,
    ChektTLSError,
    ChektTokenError,
    ChektTransportError,
    RetryPolicy,
    StaticToken,
)
from tests.api.conftest import camera
from tests.api.stubs import (
    RecordingServer,
    RedirectingServer,
    https_server,
    make_ca,
    one_shot_oauth_client,
    serving,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET

TOKEN = "bearer-token-Kp20xZq7"
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy or CA settings from the machine running the tests."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture
def recorder() -> Iterator[tuple[RecordingServer, str]]:
    server = RecordingServer()
    with serving(server) as url:
        yield server, url


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("call", ["list", "create"])
def test_a_redirect_is_an_error_and_nothing_reaches_its_target(
    clean_env: Any, recorder: tuple[RecordingServer, str], status: int, call: str
) -> None:
    target, target_url = recorder
    redirector = RedirectingServer(target_url.replace("127.0.0.1", "localhost"), status)
    with (
        serving(redirector) as url,
        ChektClient(StaticToken(TOKEN), base_url=url, retry=ONE_ATTEMPT) as client,
        pytest.raises(ChektRedirectError) as caught,
    ):
        if call == "list":
            client.list_devices(2, 3)
        else:
            client.create_devices(2, 3, [camera("cam-1", "001")])
    message = str(caught.value)
    assert caught.value.status == status
    assert f"-> {status}" in message
    assert "localhost" in message  # the Location host is named ...
    assert "/partner/v1/dealers/2/sites/3/devices" not in message.split(":", 1)[1]  # ... not its path
    assert target.text() == ""  # nothing was re-sent to the redirect target


def test_a_redirecting_token_endpoint_sends_nothing_to_the_target(
    clean_env: Any, recorder: tuple[RecordingServer, str]
) -> None:
    target, target_url = recorder
    with serving(RedirectingServer(target_url, 307)) as url:
        client = one_shot_oauth_client(url, CLIENT_ID, CLIENT_SECRET)
        with client, pytest.raises(ChektTokenError, match="307"):
            client.list_devices(2, 3)
    assert target.text() == ""


# --- proxies -----------------------------------------------------------------------------------


def test_loopback_http_never_goes_through_a_proxy(
    clean_env: pytest.MonkeyPatch, recorder: tuple[RecordingServer, str], server: Any
) -> None:
    proxy, proxy_url = recorder
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        clean_env.setenv(name, proxy_url)
    with ChektClient.from_credentials(
        base_url=server.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url=server.token_url
    ) as client:
        assert client.list_devices(2, 3) == []  # reached the local server directly
    assert proxy.text() == ""  # neither the client secret nor the bearer token went to the proxy


def test_https_goes_through_the_configured_proxy(
    clean_env: pytest.MonkeyPatch, recorder: tuple[RecordingServer, str]
) -> None:
    proxy, proxy_url = recorder
    clean_env.setenv("HTTPS_PROXY", proxy_url)
    client = ChektClient.from_credentials(
        base_url="https://api.chekt.invalid",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        retry=ONE_ATTEMPT,
    )
    with client, pytest.raises(ChektTokenError):
        client.list_devices(2, 3)
    # The token request went to the proxy as a CONNECT tunnel: credentials stay inside TLS.
    assert proxy.text().startswith("CONNECT api.chekt.invalid:443 ")
    assert CLIENT_SECRET not in proxy.text()


def test_no_proxy_is_still_honoured_for_https(
    clean_env: pytest.MonkeyPatch, recorder: tuple[RecordingServer, str]
) -> None:
    proxy, proxy_url = recorder
    clean_env.setenv("HTTPS_PROXY", proxy_url)
    clean_env.setenv("NO_PROXY", "chekt.invalid")
    client = ChektClient(StaticToken(TOKEN), base_url="https://api.chekt.invalid", retry=ONE_ATTEMPT)
    with client, pytest.raises(ChektTransportError):
        client.list_devices(2, 3)  # direct: the name does not resolve
    assert proxy.text() == ""


def test_netrc_credentials_are_not_sent(
    clean_env: pytest.MonkeyPatch, recorder: tuple[RecordingServer, str], tmp_path: Path
) -> None:
    target, url = recorder
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password-3310\n")
    netrc.chmod(0o600)
    clean_env.setenv("NETRC", str(netrc))
    client = ChektClient(StaticToken(TOKEN), base_url=url, retry=ONE_ATTEMPT)
    with client, pytest.raises(ChektError):
        client.list_devices(2, 3)  # the recorder answers 502
    assert f"Authorization: Bearer {TOKEN}" in target.text()


# --- CA bundles --------------------------------------------------------------------------------


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """An https server on 127.0.0.1, the CA that signed its certificate, and an unrelated CA."""
    ca, cert, key = make_ca(tmp_path, "ours")
    other_ca = make_ca(tmp_path, "other")[0]
    with https_server(cert, key) as url:
        yield url, ca, other_ca


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_wins_over_the_environment(
    clean_env: pytest.MonkeyPatch, tls: tuple[str, Path, Path], variable: str
) -> None:
    url, ca, other_ca = tls
    clean_env.setenv(variable, str(other_ca))
    with ChektClient.from_credentials(
        base_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, ca_bundle=str(ca), retry=ONE_ATTEMPT
    ) as client:
        assert client.list_devices(2, 3) == []  # token endpoint and API both verified with caBundle


def test_without_ca_bundle_the_environment_bundle_is_used(
    clean_env: pytest.MonkeyPatch, tls: tuple[str, Path, Path]
) -> None:
    url, ca, other_ca = tls
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(ca))
    with ChektClient(StaticToken(TOKEN), base_url=url, retry=ONE_ATTEMPT) as client:
        assert client.list_devices(2, 3) == []
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(other_ca))
    client = ChektClient(StaticToken(TOKEN), base_url=url, retry=ONE_ATTEMPT)
    with client, pytest.raises(ChektTLSError):
        client.list_devices(2, 3)


def test_a_missing_environment_ca_bundle_is_a_clear_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    with pytest.raises(ChektError, match="REQUESTS_CA_BUNDLE"):
        ChektClient(StaticToken(TOKEN), base_url="https://api.chekt.invalid")
