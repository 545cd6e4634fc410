"""API client layer: talks HTTP to the CHeKT Partner Devices API (or the local server)."""

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
