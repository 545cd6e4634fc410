"""The local API's per-client rate limit: a token bucket per client or API key, 429 with Retry-After
when it is empty, counted as rate_limited in /_admin/stats and reset with the other counters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pulumi_chekt.localserver import ApiKeyConfig, ClientConfig, LocalServer, ServerConfig
from pulumi_chekt.localserver.__main__ import build_parser, config_from_args
from pulumi_chekt.localserver.config import ConfigError, load_config
from pulumi_chekt.localserver.ratelimit import RateLimiter, default_burst


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_per_caller_refills_at_the_rate_and_says_when_to_come_back() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=120, burst=3, clock=clock)  # 2 a second, 3 at once
    assert [limiter.admit("client:a") for _ in range(3)] == [None, None, None]
    assert limiter.admit("client:a") == 1  # half a second to the next one: Retry-After rounds up
    assert limiter.admit("client:b") is None  # another client has its own bucket
    clock.now += 0.5
    assert limiter.admit("client:a") is None
    assert limiter.admit("client:a") == 1
    clock.now += 60  # a long pause fills the bucket to its burst, not beyond
    assert [limiter.admit("client:a") for _ in range(4)] == [None, None, None, 1]
    limiter.reset()
    assert limiter.admit("client:a") is None


def test_retry_after_is_the_whole_seconds_until_the_next_request_is_due() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, clock=clock)  # one every 10 s
    assert limiter.burst == 2 == default_burst(6)
    assert limiter.admit("k") is None
    assert limiter.admit("k") is None
    assert limiter.admit("k") == 10
    clock.now += 9.2
    assert limiter.admit("k") == 1
    assert (default_burst(60), default_burst(100), default_burst(600), default_burst(3000)) == (2, 4, 20, 100)


def test_no_limit_admits_everything() -> None:
    limiter = RateLimiter(per_minute=None)
    assert all(limiter.admit("k") is None for _ in range(10_000))


@pytest.fixture
def limited_server() -> Iterator[LocalServer]:
    config = ServerConfig(
        clients=[ClientConfig("limited", "limited-secret", "adc")],
        api_keys=[ApiKeyConfig("limited-api-key", "chekt")],
        dealers={2: [3]},
        rate_limit_per_minute=6,  # one every 10 s, two at once (a slow machine cannot refill it in time)
    )
    with LocalServer(config) as server:
        yield server


def _list(server: LocalServer, token: str) -> requests.Response:
    return requests.get(
        f"{server.url}/partner/v1/dealers/2/sites/3/devices",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_over_http_a_client_s_token_request_and_calls_share_its_bucket(limited_server: LocalServer) -> None:
    form = {"grant_type": "client_credentials"}
    issued = requests.post(
        limited_server.token_url, data=form, auth=("limited", "limited-secret"), timeout=10
    )
    assert issued.status_code == 200
    assert _list(limited_server, issued.json()["access_token"]).status_code == 200
    refused = _list(limited_server, issued.json()["access_token"])  # the token request counted too
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.json()["message"] == "rate limit of 6 requests per minute exceeded for this client"
    again = requests.post(limited_server.token_url, data=form, auth=("limited", "limited-secret"), timeout=10)
    assert again.status_code == 429 and 1 <= int(again.headers["Retry-After"]) <= 10
    assert again.json()["error_description"].startswith("rate limit of 6 requests per minute")
    # The API key is another caller; a request that fails authentication counts against nobody.
    assert _list(limited_server, "limited-api-key").status_code == 200
    assert _list(limited_server, "limited-api-key").status_code == 200
    assert _list(limited_server, "limited-api-key").status_code == 429
    assert _list(limited_server, "not-a-token").status_code == 401
    stats = limited_server.admin.stats()
    assert stats["rate_limited"] == 3
    limited_server.admin.reset()
    assert limited_server.admin.stats()["rate_limited"] == 0
    assert _list(limited_server, "limited-api-key").status_code == 200  # the buckets are full again


def test_the_config_file_and_the_command_line(tmp_path: Path) -> None:
    config_file = tmp_path / "local-api.yaml"
    config_file.write_text("rate_limit_per_minute: 100\nrate_limit_burst: 5\n")
    loaded = load_config(config_file)
    assert (loaded.rate_limit_per_minute, loaded.rate_limit_burst) == (100, 5)
    args = build_parser().parse_args(["--config", str(config_file), "--rate-limit-per-minute", "30"])
    assert (config_from_args(args).rate_limit_per_minute, config_from_args(args).rate_limit_burst) == (30, 5)
    assert config_from_args(build_parser().parse_args([])).rate_limit_per_minute is None
    for text, reason in (
        ("rate_limit_per_minute: 0\n", "rate_limit_per_minute must be a positive integer"),
        ("rate_limit_burst: 3\n", "rate_limit_burst needs rate_limit_per_minute"),
    ):
        config_file.write_text(text)
        with pytest.raises(ConfigError, match=reason):
            load_config(config_file)
