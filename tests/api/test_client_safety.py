"""Transport safety: https only (except loopback), and responses that break the contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pulumi_chekt.api import (
    ChektClient,
    ChektConfigError,
    ChektResponseError,
    ChektTokenError,
    RetryPolicy,
    StaticToken,
)
from tests.api.stubs import reply


@pytest.mark.parametrize(
    "url",
    ["http://api.chekt.com", "http://10.0.0.5:8080", "ftp://127.0.0.1", "https://user:pw@api.chekt.com"],
)
def test_unsafe_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ChektConfigError):
        ChektClient(StaticToken("k"), base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080", "https://api.chekt.com"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert ChektClient(StaticToken("k"), base_url=url).base_url == url


def test_plain_http_token_url_is_refused() -> None:
    with pytest.raises(ChektConfigError):
        ChektClient.from_credentials(
            base_url="https://api.chekt.com",
            client_id="id",
            client_secret="s",
            token_url="http://auth.example.com/t",
        )


def test_missing_credentials_say_which_settings_to_give() -> None:
    with pytest.raises(ChektConfigError) as caught:
        ChektClient.from_credentials(base_url="https://api.chekt.com")
    assert "chekt:clientId" in str(caught.value)
    assert "CHEKT_API_TOKEN" in str(caught.value)


class _BrokenApi(BaseHTTPRequestHandler):
    """Answers 200 with bodies that break the contract, one per path."""

    bodies = {
        "/partner/v1/dealers/2/sites/3/devices": [{"device_id": "seven", "device_type": "camera"}],
        "/partner/v1/dealers/2/sites/4/devices": "<html>gateway</html>",
    }

    def do_GET(self) -> None:
        reply(self, 200, self.bodies.get(self.path))

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def broken_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_response_that_breaks_the_schema_is_a_clear_error(broken_api: str) -> None:
    client = ChektClient(StaticToken("k"), base_url=broken_api)
    with pytest.raises(ChektResponseError) as caught:
        client.list_devices(2, 3)
    message = str(caught.value)
    assert "device-list.schema.json" in message
    assert "/0/device_id" in message
    assert "zone_number" in message  # the missing required field is named


def test_a_non_json_response_is_a_clear_error(broken_api: str) -> None:
    client = ChektClient(StaticToken("k"), base_url=broken_api)
    with pytest.raises(ChektResponseError, match=r"not match|not JSON"):
        client.list_devices(2, 4)


def test_a_missing_ca_bundle_is_a_config_error(tmp_path: object) -> None:
    with pytest.raises(ChektConfigError, match="caBundle"):
        ChektClient(StaticToken("k"), base_url="https://api.chekt.com", ca_bundle="/nonexistent/ca.pem")


def test_an_unreachable_token_endpoint_names_it_with_a_trace_id() -> None:
    client = ChektClient.from_credentials(
        base_url="http://127.0.0.1:9",
        client_id="id",
        client_secret="super-secret-value",
        token_url="http://127.0.0.1:9/oauth/token",
        retry=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(ChektTokenError) as caught:
        client.list_devices(2, 3)
    message = str(caught.value)
    assert message.startswith(
        "POST /oauth/token: getting an access token from http://127.0.0.1:9/oauth/token failed: could not connect"
    )
    assert caught.value.trace_id and caught.value.trace_id in message
    assert caught.value.request_sent is False
    assert "super-secret-value" not in message
