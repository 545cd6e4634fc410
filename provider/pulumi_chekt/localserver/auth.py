"""Who is calling: OAuth client-credentials tokens (for a secret or a signed assertion) and static API keys.

Tokens are random (``secrets.token_urlsafe``), live only in memory and carry the partner and
dealers of the client they were issued to. Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import binascii
import hmac
import secrets
import threading
import time
from base64 import b64decode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus

from pulumi_chekt.localserver.assertions import AssertionVerifier
from pulumi_chekt.localserver.config import ApiKeyConfig, ClientConfig


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``dealers=None`` means every dealer. ``caller`` names the client or API
    key behind it (``client:<id>``, ``api_key:<n>``): the unit of rate limiting."""

    partner: str
    dealers: frozenset[int] | None
    caller: str = ""

    def may_access(self, dealer: str) -> bool:
        """Whether the caller may use dealer ``dealer`` (the raw path segment; non-numeric is never allowed
        for a restricted caller)."""
        if self.dealers is None:
            return True
        return dealer.isascii() and dealer.isdigit() and int(dealer) in self.dealers


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class _Grant:
    principal: Principal
    expires_at: float


def _principal(partner: str, dealers: Sequence[int] | None, caller: str) -> Principal:
    return Principal(partner, None if dealers is None else frozenset(dealers), caller)


def client_caller(client: ClientConfig) -> str:
    """The rate-limiting name of an OAuth client (its token requests and the tokens it was issued)."""
    return f"client:{client.client_id}"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def parse_basic(header: str) -> tuple[str, str] | None:
    """The (id, secret) of an HTTP Basic header, or None when it is not well-formed Basic."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


class Authenticator:
    """Issues and checks bearer credentials."""

    def __init__(
        self,
        clients: Sequence[ClientConfig],
        api_keys: Sequence[ApiKeyConfig],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clients = {client.client_id: client for client in clients}
        self._api_keys = list(api_keys)
        self._clock = clock
        self.assertions = AssertionVerifier(self._clients, wall_clock)
        self._lock = threading.Lock()
        self._tokens: dict[str, _Grant] = {}
        self._issued: list[str] = []  # every token ever issued, so tests can prove none leaked

    def reset(self) -> None:
        """Forget every issued token and every used assertion id."""
        with self._lock:
            self._tokens.clear()
        self.assertions.reset()

    def check_client(self, client_id: str, client_secret: str, *, basic: bool = False) -> ClientConfig | None:
        """The client if the credentials are right. RFC 6749 §2.3.1 form-encodes Basic credentials and some
        clients do not, so for ``basic`` both the raw and the decoded form are accepted."""
        candidates = [(client_id, client_secret)]
        if basic:
            candidates.append((unquote_plus(client_id), unquote_plus(client_secret)))
        for candidate_id, candidate_secret in candidates:
            client = self._clients.get(candidate_id)
            secret = None if client is None else client.client_secret
            if secret is not None and _same(candidate_secret, secret):
                return client
        return None

    def issue(self, client: ClientConfig, lifetime: int) -> IssuedToken:
        """A new access token for ``client``, valid for ``lifetime`` seconds."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._tokens = {key: grant for key, grant in self._tokens.items() if grant.expires_at > now}
            principal = _principal(client.partner, client.dealers, client_caller(client))
            self._tokens[token] = _Grant(principal, now + lifetime)
            self._issued.append(token)
        return IssuedToken(token, lifetime)

    def issued_tokens(self) -> list[str]:
        """Every access token issued since start, expired or forgotten ones included."""
        with self._lock:
            return list(self._issued)

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The caller behind an ``Authorization: Bearer ...`` header (token or API key), or None."""
        if not authorization:
            return None
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return None
        with self._lock:
            grant = self._tokens.get(credential)
        if grant is not None:
            return grant.principal if self._clock() < grant.expires_at else None
        for number, api_key in enumerate(self._api_keys):
            if _same(credential, api_key.key):
                return _principal(api_key.partner, api_key.dealers, f"api_key:{number}")
        return None
