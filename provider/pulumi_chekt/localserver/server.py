"""LocalServer: the app on a loopback port, served from a background thread.

Uses werkzeug's threaded development server (``make_server``); port 0 picks a free port. The
request log goes to the ``pulumi_chekt.localserver.http`` logger as method, path (never the query
string) and status, so no header, body or query parameter can leak a secret into a log. Each
connection must deliver its request within ``ServerConfig.request_timeout`` (see ``connection.py``).
"""

from __future__ import annotations

import io
import json
import logging
import threading
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from pulumi_chekt.localserver.admin_client import AdminClient
from pulumi_chekt.localserver.app import LocalApiApp
from pulumi_chekt.localserver.config import DEFAULT_REQUEST_TIMEOUT, ServerConfig
from pulumi_chekt.localserver.connection import TimedReader
from pulumi_chekt.localserver.responses import reason
from pulumi_chekt.localserver.state import ServerState

http_log = logging.getLogger("pulumi_chekt.localserver.http")
_CONTROL = WSGIRequestHandler._control_char_table


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler with a secret-free log and clean handling of deliberately dropped connections."""

    protocol_version = "HTTP/1.1"
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT  # set per server by LocalServer.start

    def setup(self) -> None:
        """As StreamRequestHandler, but the request is read through a TimedReader."""
        super().setup()
        self.rfile.close()  # the plain reader from makefile(); ours reads the same socket
        self.rfile = io.BufferedReader(TimedReader(self.connection, self.request_timeout))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path.translate(_CONTROL)
        http_log.info("%s %s %s", getattr(self, "command", None) or "-", path or "-", code)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server passes the raw request line here for malformed requests; it may hold anything.
        if format.startswith("Request timed out"):
            return  # TimedReader logged it already
        code = args[0] if args and isinstance(args[0], int) else "-"
        http_log.warning("malformed HTTP request (status %s)", code)

    def log_message(self, format: str, *args: Any) -> None:
        http_log.debug("http.server message suppressed")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, oversized headers) as the JSON error body,
        without echoing the request as its default HTML page does."""
        self.log_error("code %d", code)
        body = json.dumps({"status_code": code, "error": reason(code), "message": "malformed HTTP request"})
        self.close_connection = True
        self.send_response(code, reason(code))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body.encode())

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.close_connection = True


class LocalServer:
    """A local CHeKT-compatible API; use as a context manager or call start()/stop()."""

    def __init__(self, config: ServerConfig | None = None, *, poll_interval: float = 0.01) -> None:
        """``poll_interval`` bounds how long stop() waits for the serving loop (short suits tests)."""
        self.config = config if config is not None else ServerConfig.demo()
        self.poll_interval = poll_interval
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._state: ServerState | None = None
        self._admin: AdminClient | None = None

    def start(self) -> LocalServer:
        """Open the store, bind the port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        state = ServerState.create(self.config)
        handler = type(
            "_ConfiguredHandler", (_RequestHandler,), {"request_timeout": self.config.request_timeout}
        )
        try:
            server = make_server(
                self.config.host,
                self.config.port,
                LocalApiApp(state),
                threaded=True,
                request_handler=handler,
            )
        except BaseException:
            state.close()
            raise
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name="chekt-local-api",
            daemon=True,
        )
        self._state, self._server, self._thread = state, server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the store; safe to call twice."""
        server, thread, state = self._server, self._thread, self._state
        self._server = self._thread = None
        self._admin = None
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=10)
        if server is not None:
            server.server_close()
        if state is not None:
            state.close()

    def __enter__(self) -> LocalServer:
        """Start unless already started, so ``with LocalServer(cfg).start() as srv:`` works too."""
        return self if self.running else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def state(self) -> ServerState:
        """The model behind the running server (store, faults, stats), for in-process inspection."""
        if self._state is None:
            raise RuntimeError("the server has not been started")
        return self._state

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{host}:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def issued_tokens(self) -> list[str]:
        """Every access token this server issued (for tests that prove no token leaked anywhere)."""
        return self.state.auth.issued_tokens()

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(self.url)
        return self._admin
