"""Issue 9 item 5: the admin endpoints refuse what a web page or DNS rebinding could send, and the server
closes connections that do not deliver a whole request in time (slow headers, slow bodies, idle sockets).

The slow-connection tests use raw sockets on 127.0.0.1; each waits a bounded time for the server to
close the socket (far longer than the configured timeout, so a slow machine cannot make them flaky).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from localserver_helpers import Api

from pulumi_chekt.localserver import AdminClient, LocalServer, ServerConfig

TIMEOUT = 10
REQUEST_TIMEOUT = 1.0  # the server's request timeout in these tests
CLOSE_WITHIN = 15.0  # how long a test waits for the server to close a connection
PARTIAL_HEADERS = b"GET /_admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def quick_server(server_config: ServerConfig) -> Iterator[LocalServer]:
    """A server that gives each connection one second to deliver its request."""
    server_config.request_timeout = REQUEST_TIMEOUT
    with LocalServer(server_config) as running:
        yield running


def _connect(server: LocalServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) before ``deadline``, reading away anything sent."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionError:
            return True


def _raw_response(server: LocalServer, request: bytes) -> bytes:
    """Send ``request`` as is and read the whole answer (the server closes after each response)."""
    with _connect(server) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- the admin endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:{port}", "localhost", "LocalHost:{port}", "[::1]", "[::1]:{port}"]
)
def test_admin_accepts_a_loopback_host_header(server: LocalServer, host: str) -> None:
    response = requests.get(
        f"{server.url}/_admin/health", headers={"Host": host.format(port=server.port)}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "localhost.evil.example",
        "127.0.0.1.nip.io:{port}",
        "10.0.0.1:{port}",
        "[::1",
        "127.0.0.1:port",
        "127.0.0.1:{port}@evil.example",
    ],
)
def test_admin_refuses_a_foreign_host_header(server: LocalServer, api: Api, host: str) -> None:
    """DNS rebinding: a page on evil.example re-resolved to 127.0.0.1 still sends Host: evil.example."""
    api.create_one(1)
    headers = {"Host": host.format(port=server.port), "Content-Type": "application/json"}
    for method, path in (("GET", "health"), ("GET", "stats"), ("POST", "reset")):
        response = requests.request(
            method, f"{server.url}/_admin/{path}", headers=headers, data=b"{}", timeout=TIMEOUT
        )
        assert response.status_code == 403, (method, path, response.text)
        assert "Host" in response.json()["message"]
    assert len(api.list().json()) == 1  # the reset was refused


def test_admin_refuses_a_request_without_host_header(server: LocalServer) -> None:
    answer = _raw_response(server, b"GET /_admin/health HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:{port}"])
def test_admin_refuses_a_request_with_a_browser_origin(server: LocalServer, api: Api, origin: str) -> None:
    api.create_one(1)
    headers = {"Origin": origin.format(port=server.port)}
    assert requests.get(f"{server.url}/_admin/stats", headers=headers, timeout=TIMEOUT).status_code == 403
    response = requests.post(f"{server.url}/_admin/reset", headers=headers, json={}, timeout=TIMEOUT)
    assert response.status_code == 403
    assert "Origin" in response.json()["message"]
    assert len(api.list().json()) == 1


def test_admin_refuses_a_cross_site_fetch_without_origin(server: LocalServer) -> None:
    """A no-cors GET from another site carries no Origin, but browsers mark it with Sec-Fetch-Site."""
    headers = {"Sec-Fetch-Site": "cross-site"}
    assert requests.get(f"{server.url}/_admin/stats", headers=headers, timeout=TIMEOUT).status_code == 403
    typed = {"Sec-Fetch-Site": "none"}  # the user typed the address: allowed
    assert requests.get(f"{server.url}/_admin/stats", headers=typed, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_admin_refuses_writes_that_are_not_json(
    server: LocalServer, api: Api, admin: AdminClient, content_type: str | None
) -> None:
    """A web page can POST text/plain (or a form) cross-origin without a preflight; JSON it cannot."""
    api.create_one(1)
    headers = {} if content_type is None else {"Content-Type": content_type}
    base = f"{server.url}/_admin"
    seed = b'{"dealers": [{"dealer_id": 90, "sites": [91]}]}'
    calls = [
        ("PUT", "faults", b'{"error_rate": 1}'),
        ("POST", "faults/queue", b'{"status": 500}'),
        ("POST", "seed", seed),
        ("POST", "reset", b""),
    ]
    for method, path, body in calls:
        response = requests.request(method, f"{base}/{path}", headers=headers, data=body, timeout=TIMEOUT)
        assert response.status_code == 415, (method, path, response.status_code, response.text)
        assert "application/json" in response.json()["message"]
    faults = admin.faults()
    assert (faults["error_rate"], faults["queue"]) == (0.0, [])
    assert admin.stats()["store"]["dealers"] == 3
    assert len(api.list().json()) == 1


def test_admin_accepts_json_with_a_charset(server: LocalServer, admin: AdminClient) -> None:
    response = requests.put(
        f"{server.url}/_admin/faults",
        data=b'{"latency_ms": 5}',
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    assert admin.faults()["latency_ms"] == 5
    admin.reset()  # the admin client sends JSON even when there is nothing to say
    assert admin.faults()["latency_ms"] == 0


# --- connections that do not deliver a request ---------------------------------------------------------


def test_slow_header_connections_are_closed(quick_server: LocalServer) -> None:
    """300 clients send half a header block and stop: every one of them is disconnected."""
    sockets = []
    try:
        for _ in range(300):
            sock = _connect(quick_server)
            sock.sendall(PARTIAL_HEADERS)
            sockets.append(sock)
        # meanwhile the server still serves everybody else
        assert quick_server.admin.health() == {"status": "ok"}
        deadline = time.monotonic() + CLOSE_WITHIN
        still_open = sum(not _closed_by_server(sock, deadline) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert still_open == 0
    assert quick_server.admin.health() == {"status": "ok"}


def test_a_connection_that_sends_nothing_is_closed(quick_server: LocalServer) -> None:
    with _connect(quick_server) as sock:
        assert _closed_by_server(sock, time.monotonic() + CLOSE_WITHIN)


def test_a_trickled_header_is_cut_off_although_each_byte_comes_in_time(quick_server: LocalServer) -> None:
    """One byte every 0.2 s never trips a per-read timeout; the request as a whole must still be on time."""
    header = PARTIAL_HEADERS + b"x" * 200
    closed = False
    with _connect(quick_server) as sock:
        deadline = time.monotonic() + CLOSE_WITHIN
        for byte in header:
            try:
                sock.sendall(bytes([byte]))
            except ConnectionError:
                closed = True
                break
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable and _closed_by_server(sock, deadline):
                closed = True
                break
            if time.monotonic() > deadline:
                break
    assert closed


def test_a_slow_body_is_cut_off_and_nothing_is_created(quick_server: LocalServer) -> None:
    api = Api(quick_server)
    body = b'[{"external_device_id": "slow-1", "device_type": "camera", "zone_number": "001"}]'
    head = (
        f"POST /partner/v1/dealers/2/sites/3/devices HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {api.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with _connect(quick_server) as sock:
        sock.sendall(head + body[:20])
        assert _closed_by_server(sock, time.monotonic() + CLOSE_WITHIN)
    assert api.list().json() == []


def test_time_the_server_spends_itself_does_not_count(quick_server: LocalServer) -> None:
    """Only waiting for the client counts: an injected delay longer than the timeout still gets an answer."""
    api = Api(quick_server)
    token = api.token
    quick_server.admin.set_faults(latency_ms=1500)
    response = api.create([Api.device(1)], token=token, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    assert response.json()["success_count"] == 1


def test_request_timeout_is_validated() -> None:
    for bad in (0, -1, "5", True):
        with pytest.raises(ValueError, match="request_timeout"):
            ServerConfig(request_timeout=bad)  # type: ignore[arg-type]
