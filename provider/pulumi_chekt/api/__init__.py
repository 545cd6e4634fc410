"""API client layer: talks HTTP to the CHeKT Partner Devices API (or the local server).

The names below are imported on first use (module ``__getattr__``): the error classes cost little,
while the client pulls in requests, authlib and tenacity, which commands such as ``chekt-devices
validate`` never need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulumi_chekt._lazy import lazy_exports

if TYPE_CHECKING:
    from pulumi_chekt.api.assertion_key import AssertionKey
    from pulumi_chekt.api.auth import ClientCredentials, StaticToken, TokenSource
    from pulumi_chekt.api.budget import RequestBudget
    from pulumi_chekt.api.client import ChektClient, devices_path
    from pulumi_chekt.api.errors import (
        ChektBadRequest,
        ChektClientError,
        ChektConfigError,
        ChektError,
        ChektForbidden,
        ChektHTTPError,
        ChektNotFound,
        ChektRateLimited,
        ChektRedirectError,
        ChektResponseError,
        ChektServerError,
        ChektTimeout,
        ChektTLSError,
        ChektTokenError,
        ChektTransportError,
        ChektUnauthorized,
    )
    from pulumi_chekt.api.models import BulkItemResult, BulkResult, Device
    from pulumi_chekt.api.redaction import redact
    from pulumi_chekt.api.retry import NO_RETRIES, RetryPolicy

_EXPORTS = {
    "AssertionKey": "pulumi_chekt.api.assertion_key",
    "BulkItemResult": "pulumi_chekt.api.models",
    "BulkResult": "pulumi_chekt.api.models",
    "ChektBadRequest": "pulumi_chekt.api.errors",
    "ChektClient": "pulumi_chekt.api.client",
    "ChektClientError": "pulumi_chekt.api.errors",
    "ChektConfigError": "pulumi_chekt.api.errors",
    "ChektError": "pulumi_chekt.api.errors",
    "ChektForbidden": "pulumi_chekt.api.errors",
    "ChektHTTPError": "pulumi_chekt.api.errors",
    "ChektNotFound": "pulumi_chekt.api.errors",
    "ChektRateLimited": "pulumi_chekt.api.errors",
    "ChektRedirectError": "pulumi_chekt.api.errors",
    "ChektResponseError": "pulumi_chekt.api.errors",
    "ChektServerError": "pulumi_chekt.api.errors",
    "ChektTLSError": "pulumi_chekt.api.errors",
    "ChektTimeout": "pulumi_chekt.api.errors",
    "ChektTokenError": "pulumi_chekt.api.errors",
    "ChektTransportError": "pulumi_chekt.api.errors",
    "ChektUnauthorized": "pulumi_chekt.api.errors",
    "ClientCredentials": "pulumi_chekt.api.auth",
    "Device": "pulumi_chekt.api.models",
    "NO_RETRIES": "pulumi_chekt.api.retry",
    "RequestBudget": "pulumi_chekt.api.budget",
    "RetryPolicy": "pulumi_chekt.api.retry",
    "StaticToken": "pulumi_chekt.api.auth",
    "TokenSource": "pulumi_chekt.api.auth",
    "devices_path": "pulumi_chekt.api.client",
    "redact": "pulumi_chekt.api.redaction",
}

__all__ = [
    "NO_RETRIES",
    "AssertionKey",
    "BulkItemResult",
    "BulkResult",
    "ChektBadRequest",
    "ChektClient",
    "ChektClientError",
    "ChektConfigError",
    "ChektError",
    "ChektForbidden",
    "ChektHTTPError",
    "ChektNotFound",
    "ChektRateLimited",
    "ChektRedirectError",
    "ChektResponseError",
    "ChektServerError",
    "ChektTLSError",
    "ChektTimeout",
    "ChektTokenError",
    "ChektTransportError",
    "ChektUnauthorized",
    "ClientCredentials",
    "Device",
    "RequestBudget",
    "RetryPolicy",
    "StaticToken",
    "TokenSource",
    "devices_path",
    "redact",
]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
