"""Turning HTTP responses into results or typed errors, and checking bodies against the schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from pulumi_chekt.api.errors import (
    ChektHTTPError,
    ChektRateLimited,
    ChektResponseError,
    ChektServerError,
    error_class_for,
)
from pulumi_chekt.api.redaction import echo
from pulumi_chekt.contract import problems

TRACE_HEADER = "x-partner-trace-id"


def new_trace_id() -> str:
    """A fresh UUID for the x-partner-trace-id header of one HTTP request."""
    return str(uuid.uuid4())


def request_facts(response: requests.Response) -> dict[str, Any]:
    """Method, path and trace id of the request behind ``response`` (no headers beyond the trace id)."""
    request = response.request
    return {
        "method": request.method or "",
        "path": urlsplit(request.url or "").path,
        "trace_id": request.headers.get(TRACE_HEADER, "") if request.headers else "",
    }


def api_message(response: requests.Response) -> str:
    """The API's own explanation: ``message`` (our error body), ``error_description``/``error`` (OAuth), or text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_message", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return echo(body[key])  # redaction hook
    text = echo(response.text or "")  # redaction hook
    return text or echo(response.reason or "no message")


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def raise_for_status(response: requests.Response) -> None:
    """Raise the typed error for a non-2xx response; return quietly otherwise."""
    if response.status_code < 400:
        return
    facts = request_facts(response)
    message = api_message(response)
    status = response.status_code
    error_class = error_class_for(status)
    error: ChektHTTPError
    if error_class in (ChektRateLimited, ChektServerError):
        error = error_class(
            message, status=status, api_message=message, retry_after=retry_after_seconds(response), **facts
        )
    else:
        error = error_class(message, status=status, api_message=message, **facts)
    raise error


def checked_json(response: requests.Response, schema_name: str) -> Any:
    """The response body, parsed and validated against ``schemas/<schema_name>.schema.json``."""
    facts = request_facts(response)
    try:
        body = response.json()
    except ValueError:
        raise ChektResponseError(
            "the API returned a body that is not JSON", status=response.status_code, **facts
        ) from None
    found = problems(schema_name, body)
    if found:
        shown = "; ".join(echo(p, keep_tail=True) for p in found[:3])  # redaction hook
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise ChektResponseError(
            f"the API response does not match {schema_name}.schema.json: {shown}{more}",
            status=response.status_code,
            **facts,
        )
    return body
