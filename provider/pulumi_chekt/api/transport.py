"""Naming a request that got no HTTP response, and whether it provably never reached the server.

That distinction decides whether a non-idempotent request (bulk create) may be sent again.
"""

from __future__ import annotations

from typing import Any

import requests
import urllib3.exceptions

from pulumi_chekt.api.errors import ChektTimeout, ChektTLSError, ChektTransportError


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not be opened, i.e. the request provably never left this host."""
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


def transport_error(
    error: requests.RequestException, method: str, path: str, trace_id: str
) -> ChektTransportError:
    """Our error for a request that got no HTTP response, without echoing URLs or headers."""
    facts: dict[str, Any] = {"method": method, "path": path, "trace_id": trace_id}
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return ChektTimeout("timed out while connecting", request_sent=False, **facts)
    if isinstance(error, requests.exceptions.Timeout):
        return ChektTimeout(
            "timed out waiting for the response; the server may have processed the request",
            request_sent=True,
            **facts,
        )
    if isinstance(error, requests.exceptions.SSLError):
        return ChektTLSError("TLS handshake failed (check caBundle)", request_sent=False, **facts)
    if isinstance(error, requests.exceptions.ConnectionError) and _never_connected(error):
        return ChektTransportError("could not connect to the API", request_sent=False, **facts)
    return ChektTransportError(
        "the connection failed before a response arrived; the server may have processed the request",
        request_sent=True,
        **facts,
    )
