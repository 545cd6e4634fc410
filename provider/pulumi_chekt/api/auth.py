"""Bearer tokens for the CHeKT API: a static API key, or OAuth 2.0 client credentials via Authlib.

Both objects are created at run time from configuration and never pickled into Pulumi state; their
``repr`` names no secret. The token endpoint's failures are raised as the same typed errors as the
API's (see ``responses.raise_for_status``), so callers see one error vocabulary.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from pulumi_chekt.api.errors import ChektTransportError
from pulumi_chekt.api.redaction import register_client_credentials, register_secret, register_token_response
from pulumi_chekt.api.responses import TRACE_HEADER, new_trace_id, raise_for_status
from pulumi_chekt.api.transport import configure_session, transport_error

# Refresh a cached token this many seconds before it expires, so it cannot expire in flight.
EXPIRY_LEEWAY_SECONDS = 30


class TokenSource(Protocol):
    """Where the client gets its bearer token from."""

    def bearer(self) -> str:
        """A token that is valid now (fetching or refreshing it if needed)."""
        ...

    def invalidate(self) -> bool:
        """Forget the cached token after a 401; True when asking again may yield a different one."""
        ...


class StaticToken:
    """A CHeKT API key used as a bearer token as it is; it cannot be refreshed."""

    def __init__(self, token: str) -> None:
        if not token.strip():
            raise ValueError("the API token is empty")
        self._token = token.strip()
        register_secret(self._token)  # redaction hook

    def bearer(self) -> str:
        return self._token

    def invalidate(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


def _raise_for_token_error(response: requests.Response) -> requests.Response:
    """Authlib compliance hook: turn a failed token response into our typed error before Authlib parses it."""
    raise_for_status(response)
    return response


class ClientCredentials:
    """OAuth 2.0 client-credentials grant (RFC 6749 section 4.4), token cached until shortly before expiry."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        verify: bool | str = True,
        timeout: float | tuple[float, float] = 30.0,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client credentials need both a client id and a client secret")
        register_client_credentials(client_id, client_secret)  # redaction hook
        self._token_url = token_url
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token: dict[str, Any] | None = None
        self._oauth = OAuth2Session(
            client_id,
            client_secret,
            token_endpoint=token_url,
            grant_type="client_credentials",
            leeway=EXPIRY_LEEWAY_SECONDS,
        )
        configure_session(self._oauth, token_url, verify)  # transport hook: CA, proxies, redirects
        self._oauth.register_compliance_hook("access_token_response", _raise_for_token_error)
        self.fetch_count = 0

    def bearer(self) -> str:
        with self._lock:
            token = self._token
            if token is None or token.is_expired(leeway=EXPIRY_LEEWAY_SECONDS):  # type: ignore[attr-defined]
                trace_id = new_trace_id()
                try:
                    token = self._oauth.fetch_token(
                        self._token_url,
                        grant_type="client_credentials",
                        headers={TRACE_HEADER: trace_id},
                        timeout=self._timeout,
                    )
                except requests.RequestException as error:
                    failure = transport_error(error, "POST", urlsplit(self._token_url).path, trace_id)
                    # Whatever happened to the token request, the API request was not sent: retry is safe.
                    raise ChektTransportError(
                        f"could not obtain an access token: {failure.reason}",
                        request_sent=False,
                        method=failure.method,
                        path=failure.path,
                        trace_id=trace_id,
                    ) from None
                register_token_response(token)  # redaction hook
                self.fetch_count += 1
                self._token = token
            assert token is not None
            return str(token["access_token"])

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def close(self) -> None:
        self._oauth.close()

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self._token_url!r}, secret=<redacted>)"
