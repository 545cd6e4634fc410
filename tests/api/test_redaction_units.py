"""The redactor on its own: what it removes, what it keeps, and that every package logger uses it."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from urllib.parse import quote, quote_plus

import pytest

import pulumi_chekt
from pulumi_chekt.api import redact
from pulumi_chekt.api.redaction import (
    MAX_ECHO,
    REDACTED,
    RedactingFilter,
    basic_values,
    echo,
    get_logger,
    register_client_credentials,
    register_secret,
    register_token_response,
)

SECRET = "unit-secret/+=&é-9431"


@pytest.fixture(autouse=True)
def known() -> None:
    register_client_credentials("unit-client", SECRET)
    register_secret("unit-api-token-5521")
    register_token_response({"access_token": "unit-access-8812", "refresh_token": "unit-refresh-0071"})


@pytest.mark.parametrize(
    "leaked",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        quote(SECRET, safe="").lower(),
        "unit-secret\\/+=&\\u00e9-9431",  # JSON-escaped, slash escaped too
        *sorted(basic_values("unit-client", SECRET)),
        "unit-api-token-5521",
        "unit-access-8812",
        "unit-refresh-0071",
    ],
)
def test_known_secrets_are_removed_in_every_form(leaked: str) -> None:
    out = redact(f"server said: {leaked} was wrong")
    assert leaked not in out
    assert REDACTED in out
    assert out.startswith("server said: ")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "Authorization: "),
        ('{"authorization": "Basic QWxhZGRpbjpvcGVu"}', '{"authorization": "'),
        ("proxy-authorization=Digest username=x", "proxy-authorization="),
        ("got bearer Zm9vYmFyYmF6cXV4 from you", "got bearer "),
        ("access_token=AbC123dEf456&x=1", "access_token="),
        ('{"client_secret": "hunter2-but-longer"}', '{"client_secret": "'),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_sig-sig", "token "),
    ],
)
def test_credential_shapes_are_removed(text: str, kept: str) -> None:
    out = redact(text)
    assert REDACTED in out
    assert out.startswith(kept)
    for fragment in (
        "abc.DEF-123_xyz",
        "QWxhZGRpbjpvcGVu",
        "Zm9vYmFyYmF6cXV4",
        "AbC123dEf456",
        "hunter2",
        "eyJ",
    ):
        assert fragment not in out


@pytest.mark.parametrize(
    "prose",
    [
        "Basic Authentication is not enabled for this client",
        "the bearer token expired, ask for a new one",
        "device 'lobby-cam' already exists (zone 001)",
        "POST /partner/v1/dealers/2/sites/3/devices -> 409: duplicate zone (trace id 7f0c)",
    ],
)
def test_ordinary_text_is_kept(prose: str) -> None:
    assert redact(prose) == prose


def test_short_values_are_not_registered() -> None:
    register_secret("k")
    assert redact("keep looking") == "keep looking"


def test_control_characters_are_removed_and_line_breaks_flattened() -> None:
    assert redact("a\x1b[31mred\x1b[0m\r\nInjected: line\u202e\x00") == "a[31mred[0m Injected: line"


def test_echo_caps_after_redacting() -> None:
    text = "x" * 150 + " " + SECRET + " " + "y" * 500
    out = echo(text)
    assert len(out) == MAX_ECHO
    assert out.endswith("…")
    assert SECRET[:8] not in out  # the cut never leaves half a secret: redaction came first
    tail = echo("a" * 500 + " is not of type 'integer'", 60, keep_tail=True)
    assert len(tail) == 60
    assert tail.endswith("is not of type 'integer'")


def test_log_records_are_redacted_with_their_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = get_logger("pulumi_chekt.unit")
    with caplog.at_level(logging.DEBUG, logger="pulumi_chekt.unit"):
        logger.warning("sent %s", f"Authorization: Bearer unit-access-8812 and {SECRET}")
        try:
            raise RuntimeError(f"boom with {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    assert "unit-access-8812" not in caplog.text
    assert SECRET not in caplog.text
    assert "RuntimeError: boom with [redacted]" in caplog.text


def test_every_package_logger_redacts() -> None:
    """A logger's filters do not see its children's records, so each module logger needs the filter."""
    for module in pkgutil.walk_packages(pulumi_chekt.__path__, "pulumi_chekt."):
        if ".localserver" not in module.name and module.name != "pulumi_chekt.program":
            importlib.import_module(module.name)
    names = [
        name
        for name in logging.Logger.manager.loggerDict
        if name.startswith("pulumi_chekt")
        and not name.startswith("pulumi_chekt.localserver")
        and isinstance(logging.Logger.manager.loggerDict[name], logging.Logger)
    ]
    assert "pulumi_chekt.api" in names
    assert "pulumi_chekt.provider" in names
    unfiltered = [
        name
        for name in names
        if not any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters)
    ]
    assert unfiltered == []
