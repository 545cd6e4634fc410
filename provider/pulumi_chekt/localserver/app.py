"""The WSGI application: dispatch (routes in ``urls.py``), request counting, fault injection and errors.

API requests are counted, then fault injection decides (before handling) whether to delay,
answer with an injected status or drop the connection, and (after handling) whether to replace
or lose the real answer. Every error leaves as the JSON error body; nothing a client sends can
produce a 5xx: only injected faults do (and, while the server stops, 503 for requests in flight).
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, NamedTuple, cast

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from pulumi_chekt.localserver import admin
from pulumi_chekt.localserver.connection import RequestTimedOut
from pulumi_chekt.localserver.faults import Action
from pulumi_chekt.localserver.responses import TRACE_HEADER, ApiError, ApiRequest, error_response
from pulumi_chekt.localserver.state import ServerState
from pulumi_chekt.localserver.urls import ADMIN_MAP, ADMIN_PREFIX, API_MAP, Handler

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger("pulumi_chekt.localserver")

UNMATCHED = "(unmatched)"


class RouteMatch(NamedTuple):
    """The result of routing one request; ``failure`` is werkzeug's 404/405 when no rule applies."""

    template: str
    rule: Rule | None
    args: Mapping[str, str]
    failure: HTTPException | None


class ConnectionDropped(ConnectionAbortedError):
    """Raised out of the app after the socket was shut down; werkzeug's server treats it as a client
    disconnect, so nothing is written and nothing is logged as an error."""


class _Drop(Exception):
    """Internal: fault injection wants the connection gone."""


def template(rule: Rule) -> str:
    """``/partner/v1/dealers/{dealerId}/...`` from the werkzeug rule ``.../<dealerId>/...``."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)


def _route(url_map: Map, request: ApiRequest) -> RouteMatch:
    """Route a request without raising."""
    adapter = url_map.bind_to_environ(request.environ)
    try:
        rule, args = adapter.match(return_rule=True)
        return RouteMatch(template(rule), rule, args, None)
    except MethodNotAllowed as error:
        try:  # the rule of some allowed method gives the route template for the stats
            known, _ = adapter.match(method=sorted(error.valid_methods or ["GET"])[0], return_rule=True)
        except HTTPException:
            return RouteMatch(UNMATCHED, None, {}, error)
        return RouteMatch(template(known), None, {}, error)
    except HTTPException as error:
        return RouteMatch(UNMATCHED, None, {}, error)


def _http_error(error: HTTPException, request: ApiRequest, trace_id: str | None, max_body: int) -> Response:
    status = error.code or 400
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or []))
        headers["Allow"] = allowed
        message = f"method {request.method} is not allowed here; allowed: {allowed}"
    elif isinstance(error, NotFound):
        message = f"no such endpoint: {request.method} {request.path}"
    elif status == 413:
        message = f"request body is larger than the limit of {max_body} bytes"
    else:
        message = error.description or error.name
    return error_response(status, message, trace_id, headers)


class LocalApiApp:
    """WSGI callable serving the API and the admin endpoints from one ServerState."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = ApiRequest(environ, self.state.config.max_body_bytes)
        trace_id = request.headers.get(TRACE_HEADER)
        try:
            if request.path.startswith(ADMIN_PREFIX):
                response = self._admin(request, trace_id)
            else:
                response = self._api(request, trace_id)
        except _Drop:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raise ConnectionDropped("connection dropped by fault injection") from None
        except RequestTimedOut:
            raise  # the client was too slow to send its body: werkzeug closes the connection unanswered
        except Exception:
            if self.state.closed:
                response = error_response(503, "the server is stopping", trace_id)
            else:
                logger.exception("unexpected error on %s %s", request.method, request.path)
                response = error_response(500, "internal error in the local server", trace_id)
        if trace_id is not None:
            response.headers[TRACE_HEADER] = trace_id
        return response(environ, start_response)

    def _dispatch(self, request: ApiRequest, trace_id: str | None, match: RouteMatch) -> Response:
        try:
            if match.failure is not None:
                raise match.failure
            assert match.rule is not None
            return cast(Handler, match.rule.endpoint)(self.state, request, match.args)
        except ApiError as error:
            return error_response(error.status, error.message, trace_id, error.headers)
        except HTTPException as error:
            return _http_error(error, request, trace_id, self.state.config.max_body_bytes)

    def _admin(self, request: ApiRequest, trace_id: str | None) -> Response:
        try:
            admin.check_caller(request)
        except ApiError as error:
            return error_response(error.status, error.message, trace_id)
        return self._dispatch(request, trace_id, _route(ADMIN_MAP, request))

    def _api(self, request: ApiRequest, trace_id: str | None) -> Response:
        match = _route(API_MAP, request)
        self.state.stats.count(request.method, match.template)
        plan = self.state.faults.plan(request.method, request.path)
        if plan.latency_ms:
            time.sleep(plan.latency_ms / 1000)
        if plan.before is not None:
            injected = self._inject(plan.before, trace_id)
            if injected is not None:
                return injected
        response = self._dispatch(request, trace_id, match)
        if plan.after is not None:
            injected = self._inject(plan.after, trace_id)
            if injected is not None:
                return injected
        return response

    @staticmethod
    def _inject(action: Action, trace_id: str | None) -> Response | None:
        """Apply a fault: wait, then drop the connection or answer with its status (None = carry on)."""
        if action.delay_ms:
            time.sleep(action.delay_ms / 1000)
        if action.drop:
            raise _Drop
        if action.status is None:
            return None
        headers = {} if action.retry_after is None else {"Retry-After": str(action.retry_after)}
        return error_response(action.status, action.reason, trace_id, headers)
