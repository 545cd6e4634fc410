"""A server (or proxy) that reflects request headers must not put credentials into errors or logs.

Issue 9, gap 1: the client echoes server text into every ChektError. The stub on 127.0.0.1 answers
with the Authorization header, the bare credential, the decoded Basic pair and every other header.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterator

import pytest

from pulumi_chekt.api import (
    ChektClient,
    ChektError,
    ChektForbidden,
    ChektResponseError,
    ChektServerError,
    ChektTokenError,
    ChektUnauthorized,
    RetryPolicy,
)
from tests.api.stubs import ISSUED_TOKEN, one_shot_oauth_client, reflecting_server

CLIENT_ID = "reflect-client"
SECRET = "s3cret/with+chars=and&more-0042"
API_TOKEN = "api-key-ReFlEcT-7731"
BASIC = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
FORBIDDEN = (SECRET, BASIC, ISSUED_TOKEN, API_TOKEN, "s3cret%2Fwith%2Bchars%3Dand%26more-0042")
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def leaks(text: str) -> list[str]:
    return [secret for secret in FORBIDDEN if secret in text]


def all_text(error: ChektError) -> str:
    return " ".join([str(error), repr(error), error.reason, error.api_message])


@pytest.fixture
def stub() -> Iterator[str]:
    with reflecting_server() as url:
        yield url


@pytest.fixture
def oauth_client(stub: str) -> Iterator[ChektClient]:
    client = one_shot_oauth_client(stub, CLIENT_ID, SECRET)
    yield client
    client.close()


@pytest.mark.parametrize(
    ("site", "error_type"),
    [(401, ChektUnauthorized), (403, ChektForbidden), (500, ChektServerError), (200, ChektResponseError)],
)
def test_reflected_bearer_token_never_reaches_the_error(
    oauth_client: ChektClient, site: int, error_type: type[ChektError]
) -> None:
    with pytest.raises(error_type) as caught:
        oauth_client.list_devices(2, site)
    text = all_text(caught.value)
    assert leaks(text) == [], text
    assert "rejected" in text  # the server's own words are still shown, only credentials are cut


@pytest.mark.parametrize("site", [401, 403, 500, 200])
def test_reflected_api_token_never_reaches_the_error(stub: str, site: int) -> None:
    client = ChektClient.from_credentials(base_url=stub, api_token=API_TOKEN, retry=ONE_ATTEMPT)
    with client, pytest.raises(ChektError) as caught:
        client.list_devices(2, site)
    text = all_text(caught.value)
    assert leaks(text) == [], text
    assert caught.value.status == site


def test_reflected_basic_credentials_never_reach_the_token_error() -> None:
    with reflecting_server(token_status=401) as url:
        client = one_shot_oauth_client(url, CLIENT_ID, SECRET)
        with client, pytest.raises(ChektTokenError) as caught:
            client.list_devices(2, 3)
    text = all_text(caught.value)
    assert leaks(text) == [], text
    assert caught.value.path == "/oauth/token"


def test_a_failed_bulk_item_quotes_the_server_briefly_and_without_credentials(
    oauth_client: ChektClient,
) -> None:
    result = oauth_client.create_devices(
        2, 207, [{"external_device_id": "c", "device_type": "camera", "zone_number": "1"}]
    )
    message = result.items[0].error_message
    assert leaks(message) == [], message
    assert message.startswith("rejected Bearer [redacted]")
    assert len(message) <= 200
    assert "\x1b" not in message


def test_echoed_server_text_is_capped_and_free_of_control_characters(oauth_client: ChektClient) -> None:
    with pytest.raises(ChektServerError) as caught:
        oauth_client.list_devices(2, 502)
    echoed = caught.value.api_message
    assert 0 < len(echoed) <= 200
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", str(caught.value))


def test_schema_errors_on_2xx_quote_the_body_briefly(oauth_client: ChektClient) -> None:
    with pytest.raises(ChektResponseError) as caught:
        oauth_client.list_devices(2, 206)
    message = str(caught.value)
    assert "device-list.schema.json" in message
    assert "/0/zone_number" in message  # every problem is still named
    assert len(message) < 1000


def test_retry_warnings_in_the_log_carry_no_credential(
    stub: str, caplog: pytest.LogCaptureFixture, sleeps: Callable[[float], None]
) -> None:
    retry = RetryPolicy(max_attempts=2, backoff_initial_seconds=0.0, jitter_seconds=0.0)
    client = one_shot_oauth_client(stub, CLIENT_ID, SECRET, retry=retry, sleep=sleeps)
    with client, caplog.at_level(logging.DEBUG, logger="pulumi_chekt"), pytest.raises(ChektServerError):
        client.list_devices(2, 503)
    assert "retrying" in caplog.text
    assert leaks(caplog.text) == [], caplog.text
