"""Bearer tokens for the CHeKT API: a static API key, or OAuth 2.0 client credentials via Authlib,
the client authenticated by its secret or by a signed JWT assertion (RFC 7523 ``private_key_jwt``).

Both objects are created at run time from configuration and never pickled into Pulumi state; their
``repr`` names no secret. The token endpoint's failures are raised as the same typed errors as the
API's (see ``responses.raise_for_status``), so callers see one error vocabulary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign

from pulumi_chekt.api.assertion_key import AssertionKey
from pulumi_chekt.api.budget import RequestBudget
from pulumi_chekt.api.errors import ChektError, ChektTokenError
from pulumi_chekt.api.redaction import register_client_credentials, register_secret, register_token_response
from pulumi_chekt.api.responses import TRACE_HEADER, new_trace_id, raise_for_status
from pulumi_chekt.api.retry import RetryPolicy, call_with_retries
from pulumi_chekt.api.transport import configure_session, transport_error

MAX_RENEWAL_MARGIN_SECONDS = 30.0
"""A cached token is renewed this long before it expires at most, so it cannot expire in flight..."""
RENEWAL_MARGIN_FRACTION = 0.25
"""...and at most a quarter of its lifetime early, so a short-lived token (10 s) is still reused."""


def renewal_margin(lifetime_seconds: float | None) -> float:
    """Seconds before expiry at which a token of this lifetime is renewed: min(30 s, lifetime / 4)."""
    if lifetime_seconds is None or lifetime_seconds <= 0:
        return 0.0
    return min(MAX_RENEWAL_MARGIN_SECONDS, lifetime_seconds * RENEWAL_MARGIN_FRACTION)


ASSERTION_LIFETIME_SECONDS = 240
"""A client assertion is valid for 4 minutes: under the 5 minutes servers accept (the local one
refuses more), with a minute to spare for a clock running ahead; it is used once, at once."""


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's ``private_key_jwt`` client authentication, with a short assertion lifetime (Authlib
    signs for an hour) and the key's own algorithm (RS256 or ES256) and key id. Authlib adds
    ``client_assertion_type`` and ``client_assertion`` to the token request; each call signs a new
    assertion: iss = sub = client id, aud = the token URL, a new jti, exp = now + 4 minutes."""

    def __init__(self, token_url: str, key: AssertionKey) -> None:
        super().__init__(token_endpoint=token_url, alg=key.algorithm)
        self._key = key

    def sign(self, auth: Any, token_endpoint: str) -> str:
        header = {"kid": self._key.key_id} if self._key.key_id else {}
        assertion: str | bytes = private_key_jwt_sign(
            self._key.key,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self._key.algorithm,
            header=header,
            expires_in=ASSERTION_LIFETIME_SECONDS,
        )
        return assertion.decode("ascii") if isinstance(assertion, bytes) else assertion


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
    """OAuth 2.0 client-credentials grant (RFC 6749 section 4.4), the client authenticated by its
    secret (HTTP Basic) or, given an :class:`AssertionKey`, by a fresh signed assertion per request.

    The token is cached until ``renewal_margin(lifetime)`` before it expires. Fetching it is an
    idempotent call, retried like one (5xx, 429, connection failures, timeouts); when it fails for
    good, ``ChektTokenError`` says that the API request behind it was never sent.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str | AssertionKey,
        token_url: str,
        *,
        verify: bool | str = True,
        timeout: float | tuple[float, float] = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        budget: RequestBudget | None = None,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client credentials need a client id and a client secret or key")
        self._token_url = token_url
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: dict[str, Any] | None = None
        self._signed = isinstance(client_secret, AssertionKey)
        if isinstance(client_secret, AssertionKey):  # its text was registered for redaction when read
            self._oauth = OAuth2Session(
                client_id,
                client_secret.key,
                token_endpoint=token_url,
                token_endpoint_auth_method=ShortLivedPrivateKeyJWT(token_url, client_secret),
                grant_type="client_credentials",
                leeway=int(MAX_RENEWAL_MARGIN_SECONDS),
            )
        else:
            register_client_credentials(client_id, client_secret)  # redaction hook
            self._oauth = OAuth2Session(
                client_id,
                client_secret,
                token_endpoint=token_url,
                grant_type="client_credentials",
                leeway=int(MAX_RENEWAL_MARGIN_SECONDS),
            )
        configure_session(
            self._oauth, token_url, verify, budget
        )  # transport hook: CA, proxies, redirects, budget
        self._oauth.register_compliance_hook("access_token_response", _raise_for_token_error)
        self.fetch_count = 0

    def bearer(self) -> str:
        with self._lock:
            token = self._token
            if token is None or self._expiring(token):
                token = self._fetch_with_retries()
                self._token = token
            return str(token["access_token"])

    @staticmethod
    def _expiring(token: dict[str, Any]) -> bool:
        lifetime = token.get("expires_in")
        margin = renewal_margin(float(lifetime) if isinstance(lifetime, int | float) else None)
        return bool(token.is_expired(leeway=margin))  # type: ignore[attr-defined]

    def _fetch_with_retries(self) -> dict[str, Any]:
        path = urlsplit(self._token_url).path
        try:
            return call_with_retries(self._fetch_once, policy=self._retry, idempotent=True, sleep=self._sleep)
        except ChektError as error:
            raise ChektTokenError(
                f"getting an access token from {self._token_url} failed: {error.reason}",
                method="POST",
                path=path,
                status=error.status,
                trace_id=error.trace_id,
                api_message=error.api_message,
            ) from None

    def _fetch_once(self) -> dict[str, Any]:
        trace_id = new_trace_id()
        try:
            token: dict[str, Any] = self._oauth.fetch_token(
                self._token_url,
                grant_type="client_credentials",
                headers={TRACE_HEADER: trace_id},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            raise transport_error(error, "POST", urlsplit(self._token_url).path, trace_id) from None
        register_token_response(token)  # redaction hook: every issued token is a secret
        self.fetch_count += 1
        return token

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def close(self) -> None:
        self._oauth.close()

    def __repr__(self) -> str:
        kind = "key" if self._signed else "secret"
        return f"ClientCredentials(token_url={self._token_url!r}, {kind}=<redacted>)"
