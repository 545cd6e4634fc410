"""Hostile HTTP peers on 127.0.0.1 for the hardening tests: a server that reflects request headers,
a recording proxy, a redirector and its target, and an https server with its own CA.

The local CHeKT API server is well behaved on purpose; these stubs play what it never does.
"""

from __future__ import annotations

import base64
import datetime
import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient, RetryPolicy

ISSUED_TOKEN = "issued-access-token-Zx81kQ"  # what the stub token endpoints hand out


def reply(
    handler: BaseHTTPRequestHandler, status: int, payload: Any, content_type: str = "application/json"
) -> None:
    """Send ``payload`` (JSON-encoded unless it is a str) with a Content-Length."""
    raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


def one_shot_oauth_client(base_url: str, client_id: str, client_secret: str, **options: Any) -> ChektClient:
    """A client-credentials client whose token endpoint is ``<base_url>/oauth/token``; one attempt."""
    options.setdefault("retry", RetryPolicy(max_attempts=1))
    return ChektClient.from_credentials(
        base_url=base_url,
        client_id=client_id,
        client_secret=client_secret,
        token_url=base_url + "/oauth/token",
        **options,
    )


def reflection(handler: BaseHTTPRequestHandler, body: bytes) -> str:
    """What a careless server puts into its error text: the credentials first, then every header."""
    auth = handler.headers.get("Authorization", "")
    bare = auth.split(" ", 1)[1] if " " in auth else auth
    decoded = ""
    if auth.startswith("Basic "):
        decoded = base64.b64decode(bare).decode("latin1")
    headers = " | ".join(f"{k}: {v}" for k, v in handler.headers.items())
    return f"rejected {auth} (credential {bare}, decoded {decoded}, body {body.decode('latin1')}) headers {headers}"


class _Reflecting(BaseHTTPRequestHandler):
    """Token endpoint at /oauth/token; the device endpoints answer with status = the site id."""

    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        echo = reflection(self, body)
        server: ReflectingServer = self.server  # type: ignore[assignment]
        if self.path == "/oauth/token":
            if server.token_status != 200:
                reply(self, server.token_status, {"error": "invalid_client", "error_description": echo})
            else:
                reply(self, 200, {"access_token": ISSUED_TOKEN, "token_type": "Bearer", "expires_in": 3600})
            return
        status = int(self.path.split("/")[6])  # /partner/v1/dealers/D/sites/S/devices
        if status == 200:  # a 2xx whose body breaks the schema, quoting the request
            reply(self, 200, [{"device_id": echo, "device_type": "camera"}])
        elif status == 207:  # a bulk result whose failed item quotes the request
            item = {
                "is_successful": False,
                "status_code": 400,
                "error_message": echo + "\x1b[2J" + "z" * 5000,
            }
            reply(self, 200, {"success_count": 0, "failure_count": 1, "results": [item]})
        elif status == 206:  # the same with a 50 kB value
            reply(self, 200, [{"device_id": echo + "x" * 50_000, "device_type": "camera"}])
        elif status >= 500:
            reply(self, status, echo + "\x1b[31m\r\nInjected: line", "text/plain")
        else:
            reply(self, status, {"status_code": status, "error": "denied", "message": echo})

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *_: object) -> None:
        pass


class ReflectingServer(ThreadingHTTPServer):
    daemon_threads = True
    token_status = 200


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    """Run ``server`` in a thread; yields ``http://127.0.0.1:<port>``."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def reflecting_server(token_status: int = 200) -> Iterator[str]:
    server = ReflectingServer(("127.0.0.1", 0), _Reflecting)
    server.token_status = token_status
    with serving(server) as url:
        yield url


class _Recorder(socketserver.BaseRequestHandler):
    """Records the first bytes of every connection, answers 502 and closes (a proxy or a target)."""

    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            data = self.request.recv(65536)
        except OSError:
            data = b""
        server: RecordingServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.received.append(data)
        self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class RecordingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    def text(self) -> str:
        with self.lock:
            return b"".join(self.received).decode("latin1")


class _Redirector(BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``server.target`` + the same path."""

    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: RedirectingServer = self.server  # type: ignore[assignment]
        self.send_response(server.status)
        self.send_header("Location", server.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *_: object) -> None:
        pass


class RedirectingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _Redirector)
        self.target = target
        self.status = status


class _Ok(BaseHTTPRequestHandler):
    """An https device endpoint that answers an empty site, and a token endpoint."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        reply(self, 200, [])

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply(self, 200, {"access_token": ISSUED_TOKEN, "token_type": "Bearer", "expires_in": 60})

    def log_message(self, *_: object) -> None:
        pass


def make_ca(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA (its PEM) and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@contextmanager
def https_server(cert: Path, key: Path) -> Iterator[str]:
    """An https server on 127.0.0.1 presenting ``cert``; yields ``https://127.0.0.1:<port>``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as url:
        yield url.replace("http://", "https://")


def free_port_refusing() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
