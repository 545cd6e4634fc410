"""Property-based: no body or path a client can send makes the server answer 5xx or stop serving."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from localserver_helpers import assert_valid

from pulumi_chekt.localserver import ApiKeyConfig, LocalServer, ServerConfig

KEY = "fuzz-api-key"
FIELDS = [
    "external_device_id", "device_type", "zone_number", "additional_zone_numbers", "name",
    "mac", "manufacturer", "model", "serial_number", "device_id", "registered_by_partner", "",
]  # fmt: skip
ENDPOINTS = [("POST", ""), ("PUT", ""), ("POST", "/bulk-delete")]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
plausible_values = (
    st.sampled_from(["camera", "bridge", "001", "002,003", "", " x", "adc"])
    | st.text(max_size=20)
    | st.integers(min_value=-3, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_values
)
near_valid_items = st.lists(
    st.dictionaries(st.sampled_from(FIELDS), plausible_values, max_size=10), max_size=8
)
near_valid_delete = st.fixed_dictionaries(
    {"deviceIds": st.lists(st.integers(min_value=-5, max_value=2**70) | plausible_values, max_size=10)}
)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LocalServer]:
    """One server for all examples (devices accumulate, as they would in real use)."""
    config = ServerConfig(api_keys=[ApiKeyConfig(key=KEY, partner="chekt")], dealers={2: [3]})
    with LocalServer(config) as server:
        server.admin.seed([{"dealer_id": 2, "sites": [{"site_id": 3, "devices": [
            {"external_device_id": "seeded", "device_type": "camera", "zone_number": "001"},
        ]}]}])  # fmt: skip
        yield server


def _send(server: LocalServer, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", **kw.pop("headers", {})}
    return requests.request(method, f"{server.url}{path}", headers=headers, timeout=10, **kw)


def _check(response: requests.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code in (200, 201) and isinstance(body, dict):
        assert_valid("bulk-result", body)
    elif response.status_code >= 400:
        assert_valid("error", body)


def _devices(server: LocalServer, suffix: str) -> str:
    return f"/partner/v1/dealers/2/sites/3/devices{suffix}"


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_arbitrary_bytes(fuzz_server: LocalServer, method: str, suffix: str) -> None:
    @FUZZ
    @given(body=st.binary(max_size=2000))
    def run(body: bytes) -> None:
        _check(_send(fuzz_server, method, _devices(fuzz_server, suffix), data=body))

    run()
    assert fuzz_server.admin.health() == {"status": "ok"}


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_arbitrary_json(fuzz_server: LocalServer, method: str, suffix: str) -> None:
    @FUZZ
    @given(body=json_values)
    def run(body: Any) -> None:
        _check(_send(fuzz_server, method, _devices(fuzz_server, suffix), json=body))

    run()
    assert fuzz_server.admin.health() == {"status": "ok"}


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_near_valid_bodies(fuzz_server: LocalServer, method: str, suffix: str) -> None:
    """Bodies shaped like real requests reach the per-item checks and the store."""

    @FUZZ
    @given(body=near_valid_delete if suffix else near_valid_items)
    def run(body: Any) -> None:
        response = _send(fuzz_server, method, _devices(fuzz_server, suffix), json=body)
        _check(response)
        if response.status_code in (200, 201):
            assert len(response.json()["results"]) == len(body["deviceIds"] if suffix else body)

    run()
    assert fuzz_server.admin.health() == {"status": "ok"}


def test_arbitrary_path_segments(fuzz_server: LocalServer) -> None:
    segment = st.text(min_size=1, max_size=30).filter(lambda s: s not in {".", ".."})

    @FUZZ
    @given(dealer=segment, site=segment, device=segment)
    def run(dealer: str, site: str, device: str) -> None:
        quoted = [quote(part, safe="") for part in (dealer, site, device)]
        response = _send(fuzz_server, "GET", "/partner/v1/dealers/{}/sites/{}/devices/{}".format(*quoted))
        assert response.status_code < 500, response.text
        assert_valid("error" if response.status_code >= 400 else "device", response.json())

    run()
