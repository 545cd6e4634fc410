"""Redaction at the boundary: no credential in any text this package raises or logs.

Servers and proxies exist that reflect request headers into their error bodies, and the client
quotes server text in its errors. So every message passes through :func:`redact` on its way out:
it removes the secrets this process knows (client secrets, API tokens, every access token issued,
the HTTP Basic value ``base64(client_id:secret)`` and the url-encoded forms, registered where they
become known) and anything shaped like a credential (``Bearer …``, ``Basic …``, an
``Authorization:`` value, ``access_token=…``, a JWT), and strips control characters. Server text
is further capped by :func:`echo`. A :class:`RedactingFilter` does the same for log records.

Base64 is why this cannot be left to CI secret masking: a masked secret is not masked once encoded.

Private keys (signed client assertions) are removed three ways: a PEM block of any kind (armor and
body, or a BEGIN line and what follows when the END was cut off), every line of a registered key's
base64 body, and any run of 40 or more base64 characters that contains 40 consecutive characters of
a registered key's body (a fragment, however the text around it was cut or wrapped).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
MAX_ECHO = 200
"""Characters of server text quoted in one message."""

MIN_SECRET_LENGTH = 6
"""Shorter values are not registered: replacing every ``k`` in a message would garble it, not protect it."""

_MAX_TOKENS = 1024
"""Issued access tokens remembered; older ones have long expired (tokens live minutes to hours)."""

_SCHEMES = r"bearer|basic|token|mac|hoba"
_CREDENTIAL_CHARS = r"[A-Za-z0-9._~+/=-]"
_SHAPES = re.compile(
    rf"\b(?P<scheme>{_SCHEMES})(?P<gap>\s+)(?P<cred>{_CREDENTIAL_CHARS}{{8,}})"
    r"|\b(?P<header>proxy-authorization|authorization|x-api-key|api[-_]?key|cookie|set-cookie)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>(?:[a-z]+[ \t]+)?[^\s\"',;|&)]+)"
    r"|\b(?P<field>access_token|refresh_token|id_token|client_secret|api_token|apitoken|password|secret)"
    r"(?P<fsep>[\"']?\s*[:=]\s*[\"']?)(?P<fvalue>[^\s\"',;|&)]+)"
    r"|(?P<jwt>\beyJ[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}\.[a-z0-9_-]*)",
    re.IGNORECASE,
)
_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}-----.*?-----END [A-Z0-9 ]{0,40}-----"  # a whole block
    r"|-----BEGIN [A-Z0-9 ]{0,40}-----[A-Za-z0-9+/=\s]*",  # a block whose end was cut off
    re.DOTALL,
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}")
KEY_FRAGMENT = 40
"""A run of this many characters of a key's base64 body is treated as key material wherever it appears."""
# A word such as "Basic Authentication" or "Bearer realm" is prose, not a credential.
_PROSE = re.compile(r"[A-Z]?[a-z]+")
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")


def _strip_controls(text: str) -> str:
    """Line breaks and tabs become one space; other control and format characters (ANSI escapes,
    bidi overrides, zero-width characters) are dropped, so echoed text cannot forge lines or hide."""
    text = _LINE_BREAKS.sub(" ", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def _variants(secret: str) -> set[str]:
    """The forms a secret takes on the wire and in echoes: raw, url-encoded, JSON-escaped."""
    escaped = json.dumps(secret)[1:-1]
    forms = {secret, quote(secret, safe=""), quote_plus(secret), escaped, escaped.replace("/", "\\/")}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), form) for form in forms}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def basic_values(client_id: str, client_secret: str) -> set[str]:
    """Every ``Authorization: Basic`` value a client could send for these credentials: RFC 6749
    (form-encoded first) and plain, in UTF-8 and Latin-1, with and without padding."""
    pairs = {f"{client_id}:{client_secret}", f"{quote_plus(client_id)}:{quote_plus(client_secret)}"}
    values: set[str] = set()
    for pair in pairs:
        for encoding in ("utf-8", "latin-1"):
            try:
                raw = pair.encode(encoding)
            except UnicodeEncodeError:
                continue
            encoded = base64.b64encode(raw).decode("ascii")
            values |= {encoded, encoded.rstrip("=")}
    return values


class _Registry:
    """The secrets known in this process; one compiled pattern, rebuilt when a secret is added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: set[str] = set()
        self._tokens: deque[str] = deque(maxlen=_MAX_TOKENS)
        self._pattern: re.Pattern[str] | None = None
        self._key_windows: set[str] = set()

    def add_key_body(self, body: str) -> None:
        """Every KEY_FRAGMENT-character window of a private key's base64 body (whitespace removed)."""
        windows = {body[i : i + KEY_FRAGMENT] for i in range(len(body) - KEY_FRAGMENT + 1)}
        with self._lock:
            self._key_windows |= windows

    def holds_key_fragment(self, run: str) -> bool:
        with self._lock:
            windows = self._key_windows
            return bool(windows) and any(
                run[i : i + KEY_FRAGMENT] in windows for i in range(len(run) - KEY_FRAGMENT + 1)
            )

    def add(self, values: Iterable[str], *, token: bool = False) -> None:
        forms = set().union(*(_variants(v) for v in values if v and len(v) >= MIN_SECRET_LENGTH))
        with self._lock:
            known = self._settings | set(self._tokens)
            new = forms - known
            if not new:
                return
            if token:
                self._tokens.extend(sorted(new))
            else:
                self._settings |= new
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None:
                known = self._settings | set(self._tokens)
                if not known:
                    return None
                longest_first = sorted(known, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in longest_first))
            return self._pattern

    def clear(self) -> None:
        with self._lock:
            self._settings.clear()
            self._tokens.clear()
            self._key_windows.clear()
            self._pattern = None


_registry = _Registry()


def register_secret(*values: str | None) -> None:
    """Remember credentials of the current settings (client secret, API token) for redaction."""
    _registry.add(v for v in values if v)


def register_client_credentials(client_id: str, client_secret: str) -> None:
    """The client secret and the HTTP Basic values built from it (the id alone is not a secret)."""
    _registry.add([client_secret, *basic_values(client_id, client_secret)])


def register_private_key(pem: str) -> None:
    """A PEM private key: the whole text, each line of its base64 body, and every fragment of the body."""
    lines = [line.strip() for line in pem.strip().splitlines()]
    body_lines = [line for line in lines if line and not line.startswith("-----") and ":" not in line]
    body = "".join(body_lines)
    _registry.add([pem, pem.strip(), body, *body_lines])
    if len(body) >= KEY_FRAGMENT:
        _registry.add_key_body(body)


def _key_fragment(match: re.Match[str]) -> str:
    return REDACTED if _registry.holds_key_fragment(match.group()) else match.group()


def register_token_response(token: Mapping[str, Any]) -> None:
    """Every credential in a token endpoint's answer: the access token and any refresh or id token."""
    values = [token.get(key) for key in ("access_token", "refresh_token", "id_token")]
    _registry.add((v for v in values if isinstance(v, str)), token=True)


def _shape(match: re.Match[str]) -> str:
    if match.group("scheme"):
        if _PROSE.fullmatch(match.group("cred")):
            return match.group(0)
        return f"{match.group('scheme')}{match.group('gap')}{REDACTED}"
    if match.group("header"):
        return f"{match.group('header')}{match.group('sep')}{REDACTED}"
    if match.group("field"):
        return f"{match.group('field')}{match.group('fsep')}{REDACTED}"
    return REDACTED


def redact(text: object) -> str:
    """``text`` as one line, without known secrets, credential-shaped values or control characters."""
    result = _PEM_BLOCK.sub(REDACTED, str(text))  # before line breaks are flattened: armor spans lines
    result = _strip_controls(result)
    pattern = _registry.pattern()
    if pattern is not None:
        result = pattern.sub(REDACTED, result)
    result = _BASE64_RUN.sub(_key_fragment, result)
    return _SHAPES.sub(_shape, result)


def echo(text: object, limit: int = MAX_ECHO, *, keep_tail: bool = False) -> str:
    """Server text fit to quote: redacted first (so no cut can leave half a secret behind), then
    capped at ``limit`` characters; ``keep_tail`` cuts the middle, for text whose end says why."""
    cleaned = redact(text).strip()
    if len(cleaned) <= limit:
        return cleaned
    if keep_tail:
        half = (limit - 1) // 2
        return f"{cleaned[:half]}…{cleaned[-(limit - 1 - half) :]}"
    return cleaned[: limit - 1] + "…"


def redact_lines(text: str) -> str:
    """Like :func:`redact`, keeping the line structure (tracebacks in logs)."""
    return "\n".join(redact(line) for line in text.splitlines())


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) through :func:`redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_lines(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_lines(record.stack_info)
        return True


_FILTER = RedactingFilter()
ROOT_LOGGER = "pulumi_chekt"


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redacting filter attached.

    A logger's filters see only records logged through that very logger, not those of its children,
    so a filter on ``pulumi_chekt`` alone would miss ``pulumi_chekt.api``: every module logger of the
    package is obtained here (tests/api/test_redaction_units.py checks that none is missed).
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


get_logger(ROOT_LOGGER)
