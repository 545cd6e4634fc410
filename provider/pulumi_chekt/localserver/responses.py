"""JSON responses, the error body of ``schemas/error.schema.json`` and safe JSON request parsing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

TRACE_HEADER = "x-partner-trace-id"
MAX_JSON_DEPTH = 64  # deeper bodies are refused, so no later step can hit the recursion limit


class ApiRequest(Request):
    """A werkzeug Request whose body limit also holds for chunked bodies.

    werkzeug stops reading a chunked body silently at ``max_content_length`` (the rest is dropped, no
    413), so the stream may deliver one byte more and :meth:`body` decides.
    """

    def __init__(self, environ: Any, body_limit: int) -> None:
        super().__init__(environ)
        self.body_limit = body_limit
        self.max_content_length = body_limit + 1

    def body(self) -> bytes:
        """The whole body; RequestEntityTooLarge (413) when it is over the limit, however it was sent.
        Form parsing afterwards reuses these cached bytes."""
        raw = self.get_data(cache=True)
        if len(raw) > self.body_limit:
            raise RequestEntityTooLarge()
        return raw


class ApiError(Exception):
    """Ends a request with an error body; raised by handlers, turned into a response by the app."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def reason(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Unknown")


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, headers=dict(headers or {}), mimetype="application/json")


def error_response(
    status: int, message: str, trace_id: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    """``{"status_code", "error", "message", "trace_id"}``; trace_id only when the request sent one."""
    body: dict[str, Any] = {"status_code": status, "error": reason(status), "message": message}
    if trace_id is not None:
        body["trace_id"] = trace_id
    return json_response(body, status, headers)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_tree(value: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings that are not valid Unicode (lone surrogates,
    which SQLite and UTF-8 encoders reject). Iterative, so it cannot overflow the stack itself."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                key.encode("utf-8")
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            node.encode("utf-8")


def read_json(request: ApiRequest) -> Any:
    """The request body as JSON; ApiError 400 when it is missing or not JSON. A body over the size limit
    raises werkzeug's RequestEntityTooLarge (413) while it is read."""
    raw = request.body()
    if not raw.strip():
        raise ApiError(400, "request body is required (a JSON document)")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        _check_tree(value)
    except UnicodeError as error:
        raise ApiError(400, "request body is not valid UTF-8 JSON text") from error
    except RecursionError as error:
        raise ApiError(400, "request body is not valid JSON: nested too deeply") from error
    except ValueError as error:
        raise ApiError(400, f"request body is not valid JSON: {error}") from error
    return value
