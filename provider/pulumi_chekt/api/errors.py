"""One exception type per meaning, so callers branch on the type rather than on status codes.

Every error carries what a person needs to find the request in CHeKT's logs (method, path, status,
``x-partner-trace-id``) and the API's own message, and never the bearer token or client secret:
messages are built only from those fields, and every one passes through ``redaction`` (the API's
message may quote our own request headers back).
"""

from __future__ import annotations

from pulumi_chekt.api.redaction import echo, redact


class ChektError(Exception):
    """Base of every error raised by the CHeKT API client."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        trace_id: str = "",
        api_message: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.trace_id = trace_id
        self.api_message = echo(api_message)  # redaction hook
        self.reason = redact(message)  # redaction hook
        super().__init__(redact(self._render(message)))  # redaction hook

    def _render(self, message: str) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" -> {self.status}" if self.status is not None else ""
        trace = f" (trace id {self.trace_id})" if self.trace_id else ""
        prefix = f"{where}{status}: " if where else ""
        return f"{prefix}{message}{trace}"


class ChektConfigError(ChektError):
    """The client was configured in a way that would be unsafe or cannot work (e.g. plain http)."""


class ChektTransportError(ChektError):
    """No HTTP response: connection refused or reset, DNS failure, TLS failure or timeout.

    ``request_sent`` is False only when the request provably never reached the server (the
    connection could not be opened), which is what makes a non-idempotent retry safe.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: object) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ChektTokenError(ChektError):
    """Getting an access token failed, after the token endpoint's own retries. The API request it was
    for was never sent, so nothing was processed; ``status`` is the token endpoint's, if it answered."""

    request_sent = False


class ChektTLSError(ChektTransportError):
    """The TLS handshake failed (bad certificate or CA bundle); sending again will not help."""


class ChektTimeout(ChektTransportError):
    """The server did not answer in time; it may still have processed the request."""


class ChektHTTPError(ChektError):
    """The API answered with a non-2xx status."""


class ChektBadRequest(ChektHTTPError):
    """400: the request payload or parameters are invalid."""


class ChektUnauthorized(ChektHTTPError):
    """401: the token is missing, invalid or expired, or the client credentials were rejected."""


class ChektForbidden(ChektHTTPError):
    """403: the credentials are valid but may not act on this dealer."""


class ChektNotFound(ChektHTTPError):
    """404: the dealer, site or device does not exist."""


class ChektClientError(ChektHTTPError):
    """Any other 4xx (405, 409, 413, ...)."""


class ChektRateLimited(ChektHTTPError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ChektServerError(ChektHTTPError):
    """5xx: the API failed; ``retry_after`` is set when the server sent a Retry-After header."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ChektRedirectError(ChektHTTPError):
    """3xx: the API tried to send us elsewhere; redirects are never followed (the request would be
    re-sent, with its token, to a host nobody configured)."""


class ChektResponseError(ChektError):
    """A 2xx response whose body does not match the API contract (schemas/)."""


_BY_STATUS: dict[int, type[ChektHTTPError]] = {
    400: ChektBadRequest,
    401: ChektUnauthorized,
    403: ChektForbidden,
    404: ChektNotFound,
}


def error_class_for(status: int) -> type[ChektHTTPError]:
    """The exception type that means ``status`` (429 and 5xx are built separately: they carry Retry-After)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status == 429:
        return ChektRateLimited
    if status >= 500:
        return ChektServerError
    return ChektClientError
