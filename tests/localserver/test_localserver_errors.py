"""Every error status of the API, its body shape, and the order in which the checks apply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import LocalServer, ServerConfig


def _error(response: requests.Response, status: int, *words: str) -> dict[str, Any]:
    """Assert the status and a schema-valid error body whose message mentions ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert_valid("error", body)
    assert body["status_code"] == status
    assert body["error"]
    for word in words:
        assert word in body["message"], body["message"]
    return dict(body)


# 401


def test_missing_token_is_401(api: Api) -> None:
    _error(api.list(token=None), 401, "missing")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Basic dGVzdDp0ZXN0", "not-a-scheme"])
def test_invalid_token_is_401(api: Api, header: str) -> None:
    response = requests.get(api.url(), headers={"Authorization": header}, timeout=10)
    _error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_401_comes_before_every_other_check(api: Api) -> None:
    _error(api.call("POST", api.url("x", "y"), token="bad", data=b"{"), 401)
    _error(api.call("GET", api.url(999, 999, "/abc"), token=None), 401)


def test_tokens_do_not_survive_reset(api: Api, server: LocalServer) -> None:
    assert api.list().status_code == 200
    server.admin.reset()
    _error(api.list(), 401)


# 403


def test_limited_client_on_another_dealer_is_403(api: Api) -> None:
    token = api.get_token("limited-client", "limited-client-secret")
    _error(api.list(dealer=2, site=3, token=token), 403, "dealer 2")
    _error(api.create([Api.device(1)], dealer=2, site=3, token=token), 403)
    assert api.list().json() == []  # nothing was created


def test_403_comes_before_404(api: Api) -> None:
    token = api.get_token("limited-client", "limited-client-secret")
    _error(api.list(dealer=999, site=1, token=token), 403)


# 404


def test_unknown_dealer_is_404(api: Api) -> None:
    _error(api.list(dealer=999, site=3), 404, "dealer 999")


def test_unknown_site_is_404(api: Api) -> None:
    _error(api.list(dealer=2, site=999), 404, "site 999")


def test_site_of_another_dealer_is_404(api: Api) -> None:
    _error(api.list(dealer=2, site=6), 404, "site 6")


def test_unknown_device_is_404(api: Api) -> None:
    _error(api.get(12345), 404, "device 12345")


def test_device_of_another_site_is_404(api: Api) -> None:
    device = api.create_one(1)
    _error(api.get(device["device_id"], site=4), 404)
    _error(api.get(device["device_id"], dealer=7, site=8), 404)


def test_unknown_path_is_404(api: Api, server: LocalServer) -> None:
    _error(api.call("GET", f"{server.url}/partner/v1/dealers/2/sites"), 404, "no such endpoint")


def test_huge_numeric_id_is_404(api: Api) -> None:
    _error(api.get("9" * 40), 404)
    _error(api.list(dealer=int("9" * 30), site=3), 404)


def test_404_comes_before_400_for_ids(api: Api) -> None:
    _error(api.list(dealer=999, site="abc"), 404, "dealer 999")


# 400


@pytest.mark.parametrize(
    ("dealer", "site", "word"), [("abc", 3, "dealerId"), (2, "x1", "siteId"), ("-2", 3, "dealerId")]
)
def test_non_numeric_path_id_is_400(api: Api, dealer: str | int, site: str | int, word: str) -> None:
    _error(api.call("GET", api.url(dealer, site)), 400, word)


@pytest.mark.parametrize("device_id", ["abc", "1.5", "١٢"])
def test_non_numeric_device_id_is_400(api: Api, device_id: str) -> None:
    _error(api.get(device_id), 400, "deviceId")


@pytest.mark.parametrize(("method", "suffix"), [("POST", ""), ("PUT", ""), ("POST", "/bulk-delete")])
def test_malformed_json_is_400(api: Api, method: str, suffix: str) -> None:
    response = api.call(
        method, api.url(suffix=suffix), data=b'[{"a": 1', headers={"Content-Type": "application/json"}
    )
    _error(response, 400, "not valid JSON")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"NaN",
        b'[{"zone_number": Infinity}]',
        b"\xff\xfe not utf-8",
        b'["\\ud800"]',
        b"[" * 100 + b"]" * 100,
        b"1" * 5000,
    ],
    ids=["empty", "nan", "infinity", "not-utf8", "lone-surrogate", "too-deep", "huge-int"],
)
def test_unusable_bodies_are_400(api: Api, body: bytes) -> None:
    _error(api.call("POST", api.url(), data=body), 400)


@pytest.mark.parametrize(
    ("method", "suffix", "body", "word"),
    [
        ("POST", "", {"external_device_id": "a"}, "array"),
        ("POST", "", [], "non-empty"),
        ("POST", "", ["not an object"], "object"),
        ("PUT", "", {"device_id": 1}, "array"),
        ("PUT", "", [], "non-empty"),
        ("POST", "/bulk-delete", [1, 2], "object"),
        ("POST", "/bulk-delete", {"deviceIds": []}, "non-empty"),
        ("POST", "/bulk-delete", {"deviceIds": ["1"]}, "integer"),
        ("POST", "/bulk-delete", {"deviceIds": [0]}, "minimum"),
        ("POST", "/bulk-delete", {"ids": [1]}, "deviceIds"),
        ("POST", "/bulk-delete", {"deviceIds": [1], "extra": True}, "extra"),
    ],
)
def test_wrong_body_shape_is_400(api: Api, method: str, suffix: str, body: Any, word: str) -> None:
    device = api.create_one(1)
    _error(api.call(method, api.url(suffix=suffix), json=body), 400, "invalid request body", word)
    assert api.list().json() == [device]  # the failed request changed nothing


def test_body_errors_are_reported_after_path_checks(api: Api) -> None:
    _error(api.call("POST", api.url(999, 3), data=b"{"), 404)


# 405


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [("DELETE", "", "PUT"), ("PATCH", "", "POST"), ("PUT", "/1", "GET"), ("DELETE", "/1", "GET")],
)
def test_wrong_method_is_405(api: Api, method: str, suffix: str, allowed: str) -> None:
    response = api.call(method, api.url(suffix=suffix))
    _error(response, 405, method)
    assert allowed in response.headers["Allow"]


# 413


@pytest.fixture
def small_server(server_config: ServerConfig) -> Iterator[LocalServer]:
    server_config.max_body_bytes = 1000
    with LocalServer(server_config) as server:
        yield server


def test_oversized_body_is_413(small_server: LocalServer) -> None:
    api = Api(small_server)
    items = [Api.device(n, name="x" * 200) for n in range(10)]
    _error(api.create(items), 413, "1000 bytes")
    assert api.list().json() == []


def test_oversized_chunked_body_without_length_is_413(small_server: LocalServer) -> None:
    api = Api(small_server)

    def chunks() -> Iterator[bytes]:
        yield b"["
        for n in range(50):
            yield b'{"external_device_id": "x%d", "device_type": "camera", "zone_number": "%d"},' % (n, n)
        yield b"{}]"

    _error(api.call("POST", api.url(), data=chunks(), headers={"Content-Type": "application/json"}), 413)
    assert api.list().json() == []


def test_chunked_body_within_the_limit_is_accepted(small_server: LocalServer) -> None:
    api = Api(small_server)
    body = b'[{"external_device_id": "a", "device_type": "camera", "zone_number": "1"}]'
    response = api.call(
        "POST", api.url(), data=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_body_exactly_at_the_limit_is_accepted(server_config: ServerConfig) -> None:
    first = b'[{"external_device_id": "a", "device_type": "camera", "zone_number": "1"}]'
    second = first.replace(b'"a"', b'"b"').replace(b'"1"', b'"2"')
    server_config.max_body_bytes = len(first)
    with LocalServer(server_config) as server:
        api = Api(server)
        assert api.call("POST", api.url(), data=first).json()["success_count"] == 1
        chunked = api.call(
            "POST", api.url(), data=iter([second]), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 201, chunked.text
        assert chunked.json()["success_count"] == 1
        assert api.call("POST", api.url(), data=first + b" ").status_code == 413
