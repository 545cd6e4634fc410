"""Reading a request off a connection within a time budget, so slow or silent clients cannot pile up.

A per-read socket timeout alone does not do it: a client that trickles one header byte a second never
trips it. Here every connection gets one budget (``request_timeout`` seconds) for all the time the
server spends *waiting for the client* while reading its request, headers and body. Time the server
spends itself (injected latency, handling) does not count, so a slow answer never cuts off a client
that sent its request promptly. When the budget is spent the connection is closed unanswered.

The server answers one request per connection (werkzeug sends ``Connection: close``), so one budget
per connection is one budget per request.
"""

from __future__ import annotations

import io
import logging
import socket
import time

http_log = logging.getLogger("pulumi_chekt.localserver.http")


class RequestTimedOut(TimeoutError):
    """The client did not deliver its whole request in time. A ``TimeoutError``, so http.server and
    werkzeug treat it as a dropped connection: nothing is answered and nothing is logged as an error."""


class TimedReader(io.RawIOBase):
    """The read side of a socket, charging the time spent blocked in ``recv`` to one budget."""

    def __init__(self, sock: socket.socket, budget: float) -> None:
        super().__init__()
        self._sock = sock
        self._budget = budget
        self._left = budget
        sock.settimeout(budget)  # also bounds every write: a client that never reads cannot hold a thread

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._left <= 0:
            raise self._expired()
        self._sock.settimeout(self._left)
        started = time.monotonic()
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            self._left = 0
            raise self._expired() from None
        finally:
            self._left -= time.monotonic() - started
            self._sock.settimeout(self._budget)

    def _expired(self) -> RequestTimedOut:
        http_log.warning("connection closed: no complete request within %g s", self._budget)
        return RequestTimedOut(f"no complete request within {self._budget:g} s")
