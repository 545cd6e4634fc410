"""Issue 19's request budget with the real Pulumi CLI, against the local API's per-client rate limit:
without chekt:maxRequestsPerMinute the same `up` is answered 429s; with it set to the server's limit
the `up` converges and the server never has to refuse a request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.localserver import ClientConfig, ServerConfig
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject

LIMIT = 120  # a minute: 2 a second; the server lets 4 through at once, the budget 2
SITES = [
    site(2, n, device(f"cam-{n}", "001"), device(f"bridge-{n}", "002", device_type="bridge"))
    for n in range(3, 11)
]


@pytest.fixture
def server_config(request: pytest.FixtureRequest) -> ServerConfig:
    slow = request.node.get_closest_marker("slow") is not None
    return ServerConfig(
        clients=[ClientConfig(CLIENT_ID, CLIENT_SECRET, "adc")],
        dealers={9: list(range(100, 100 + BAR_SITES))} if slow else {2: list(range(3, 11))},
        rate_limit_per_minute=BAR_LIMIT if slow else LIMIT,
    )


def _up(root: Path, pulumi_bin: Path, server: Any, budget: int | None) -> None:
    project = PulumiProject(root, pulumi_bin).create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
    if budget is not None:
        project.run("config", "set", "chekt:maxRequestsPerMinute", str(budget))
    for number, declared in enumerate(SITES):
        project.write_site(f"site-{number}.yaml", declared)
    project.up()


def test_the_budget_keeps_up_within_the_servers_rate_limit(
    tmp_path: Path, pulumi_bin: Path, server: Any
) -> None:
    _up(tmp_path / "unbudgeted", pulumi_bin, server, budget=None)
    without = server.admin.stats()
    assert without["store"]["devices"] == 16  # it converges through 429s (Retry-After is honoured)...
    assert without["rate_limited"] > 0  # ...but the server had to refuse requests
    server.admin.reset()  # empty store, full buckets, counters at zero

    _up(tmp_path / "budgeted", pulumi_bin, server, budget=LIMIT)
    within = server.admin.stats()
    assert within["store"]["devices"] == 16
    assert within["rate_limited"] == 0, within
    assert within["total"] >= 17  # a token, a list per site, the writes: many times the burst


BAR_SITES, BAR_DEVICES_PER_SITE, BAR_LIMIT = 40, 5, 100


@pytest.mark.slow
def test_issue_19_bar_200_devices_over_40_sites_at_100_per_minute(
    tmp_path: Path, pulumi_bin: Path, server: Any
) -> None:
    """Issue 19's bar, opt-in (`pytest -m slow tests/e2e/test_e2e_rate_limit.py`; minutes: every request
    waits for the budget): against a limit of 100/min, `up` with chekt:maxRequestsPerMinute 100
    converges with rate_limited == 0. Prints the requests and seconds it took."""
    server.admin.reset()
    project = PulumiProject(tmp_path / "bar", pulumi_bin).create(
        server.url, server.token_url, CLIENT_ID, CLIENT_SECRET
    )
    project.run("config", "set", "chekt:maxRequestsPerMinute", str(BAR_LIMIT))
    for number in range(BAR_SITES):
        devices = [device(f"cam-{number}-{n}", f"{n + 1:03d}") for n in range(BAR_DEVICES_PER_SITE)]
        project.write_site(f"site-{number}.yaml", site(9, 100 + number, *devices))
    started = time.monotonic()
    project.up()
    seconds = time.monotonic() - started
    stats = server.admin.stats()
    print(
        f"\nissue 19 bar: {stats['total']} requests, {stats['rate_limited']} rate limited, {seconds:.0f} s, "
        f"requests: {stats['requests']}"
    )
    assert stats["store"]["devices"] == BAR_SITES * BAR_DEVICES_PER_SITE
    assert stats["rate_limited"] == 0
