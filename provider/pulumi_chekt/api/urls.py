"""URL rules: TLS everywhere except loopback, so a token can never travel in clear text off this host."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pulumi_chekt.api.errors import ChektConfigError

DEFAULT_BASE_URL = "https://api.chekt.com"
# The reference does not name the OAuth token endpoint. We assume it sits on the API host at
# /oauth/token; set tokenUrl (CHEKT_TOKEN_URL) when CHeKT gives you a different one.
DEFAULT_TOKEN_PATH = "/oauth/token"  # noqa: S105 (a URL path, not a password)


def is_loopback_host(host: str) -> bool:
    """True for localhost and the loopback ranges 127.0.0.0/8 and ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(url: str, *, what: str) -> str:
    """``url`` without a trailing slash, or ChektConfigError when it is not https (loopback http is fine)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ChektConfigError(f"{what} must be an absolute https:// URL, got {parts.scheme or 'no'} scheme")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ChektConfigError(
            f"{what} uses plain http:// for {parts.hostname}; only https:// is allowed except for "
            "loopback addresses (127.0.0.1, ::1, localhost)"
        )
    if parts.username or parts.password:
        raise ChektConfigError(f"{what} must not embed credentials")
    return url.strip().rstrip("/")


def default_token_url(base_url: str) -> str:
    """The token endpoint we assume when none is configured (see DEFAULT_TOKEN_PATH)."""
    return base_url.rstrip("/") + DEFAULT_TOKEN_PATH
