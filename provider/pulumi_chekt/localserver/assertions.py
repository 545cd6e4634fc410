"""Signed client assertions (RFC 7523 section 3, ``private_key_jwt``): who signed, for whom, until when.

A key-based client proves itself with a JWT it signed with the private key whose public half is
registered here. The JWS is read and its signature checked with joserfc (Authlib's JOSE library);
the claims are checked here, each refusal with its own reason (the token endpoint answers 401
``invalid_client`` with it as ``error_description``):

- the signature verifies with the client's public key, with the one algorithm of that key (RS256 for
  RSA, ES256 for EC P-256; ``none`` and HMAC are never accepted);
- ``iss`` and ``sub`` are the client id; ``aud`` is this token endpoint's URL;
- ``exp`` is in the future, and at most MAX_LIFETIME_SECONDS ahead (a long-lived assertion is a
  stolen-once, used-forever credential);
- ``jti`` is new: each (client, jti) is remembered until its ``exp``, so a replay is refused.

No HTTP here; the clock is injected (wall-clock seconds, as ``exp`` is).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError

from pulumi_chekt.localserver.config import ClientConfig, load_public_key

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME_SECONDS = 300
"""``exp`` may be at most this far ahead (5 minutes)."""


class AssertionRefused(Exception):
    """The assertion does not authenticate its client; the message says why (never the assertion)."""


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims before the signature is checked: only to find the client and its key."""
    try:
        compact = jws.extract_compact(assertion.encode("ascii"))
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError):
        raise AssertionRefused("client_assertion is not a signed JWT (header.payload.signature)") from None
    if not isinstance(claims, dict):
        raise AssertionRefused("client_assertion's payload is not a JSON object of claims")
    return dict(compact.headers()), claims


class AssertionVerifier:
    """Checks assertions of the clients that registered a public key, and remembers used ``jti``s."""

    def __init__(self, clients: Mapping[str, ClientConfig], clock: Callable[[], float] = time.time) -> None:
        self._clients = {cid: client for cid, client in clients.items() if client.public_key}
        self._keys = {
            cid: load_public_key(client.public_key or "", cid) for cid, client in self._clients.items()
        }
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str], float] = {}

    def reset(self) -> None:
        """Forget the used ``jti``s."""
        with self._lock:
            self._used.clear()

    def verify(self, assertion: str, audience: str, client_id: str | None = None) -> ClientConfig:
        """The client ``assertion`` authenticates for the token endpoint at ``audience``, else
        AssertionRefused. ``client_id`` is the request's own client_id field, if it sent one."""
        header, claims = _unverified(assertion)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise AssertionRefused("the assertion has no sub (the client id)")
        if client_id is not None and client_id != subject:
            raise AssertionRefused("client_id and the assertion's sub differ")
        client = self._clients.get(subject)
        if client is None:
            raise AssertionRefused(f"no client {subject!r} with a registered public key")
        algorithm, key = self._keys[subject]
        if header.get("alg") != algorithm:
            raise AssertionRefused(
                f"alg {header.get('alg')!r} is not accepted for this client's key: sign with {algorithm}"
            )
        try:
            jwt.decode(assertion, key, algorithms=[algorithm])
        except BadSignatureError:
            raise AssertionRefused("the signature does not verify with the client's registered key") from None
        except JoseError:
            raise AssertionRefused(
                "client_assertion is not a signed JWT (header.payload.signature)"
            ) from None
        self._check_claims(claims, subject, audience)
        return client

    def _check_claims(self, claims: Mapping[str, Any], client_id: str, audience: str) -> None:
        if claims.get("iss") != client_id:
            raise AssertionRefused("iss must be the client id (the same as sub)")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if audience not in audiences:
            raise AssertionRefused(f"aud must be this token endpoint, {audience}")
        expires = claims.get("exp")
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise AssertionRefused("the assertion has no exp (a number of seconds since the epoch)")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise AssertionRefused("the assertion has no jti (a unique id, so it cannot be replayed)")
        now = self._clock()
        if expires <= now:
            raise AssertionRefused("the assertion has expired (exp is in the past)")
        if expires > now + MAX_LIFETIME_SECONDS:
            raise AssertionRefused(f"exp is more than {MAX_LIFETIME_SECONDS} seconds ahead")
        with self._lock:
            self._used = {key: until for key, until in self._used.items() if until > now}
            if (client_id, jti) in self._used:
                raise AssertionRefused("jti was already used: a replayed assertion")
            self._used[(client_id, jti)] = float(expires)
