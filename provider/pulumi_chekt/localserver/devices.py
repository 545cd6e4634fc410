"""Handlers of the five device endpoints (HTTP in, model calls, HTTP out).

Checks run in this order: bearer credential (401), the caller's rate limit (429), dealer allowed for the caller (403), numeric
dealer or site unknown (404), a non-numeric dealerId/siteId/deviceId (400), then the body:
too large (413, raised while reading) or not JSON / not matching the request schema (400).
Bulk calls answer 201 (create) or 200 (update, delete) whenever the request itself is valid, even
if every item failed: the per-item results say what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from pulumi_chekt.contract import problems
from pulumi_chekt.localserver import bulk
from pulumi_chekt.localserver.auth import Principal
from pulumi_chekt.localserver.responses import ApiError, ApiRequest, json_response, read_json
from pulumi_chekt.localserver.state import ServerState
from pulumi_chekt.localserver.store import MAX_ID

MAX_REPORTED_PROBLEMS = 10


def parse_id(text: str) -> int | None:
    """A path id as an integer, or None when it is not a plain decimal number. Numbers too large to exist
    are kept (as MAX_ID + 1) so they are reported as not found rather than as malformed."""
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 19 else MAX_ID + 1


def caller(state: ServerState, request: ApiRequest) -> Principal:
    """The authenticated caller, or 401."""
    principal = state.auth.authenticate(request.headers.get("Authorization"))
    if principal is None:
        message = (
            "missing bearer token"
            if not request.headers.get("Authorization")
            else "invalid or expired bearer token"
        )
        raise ApiError(401, message, {"WWW-Authenticate": 'Bearer realm="chekt"'})
    retry_after = state.rate_limited(principal.caller)
    if retry_after is not None:
        raise ApiError(429, state.limiter.message, {"Retry-After": str(retry_after)})
    return principal


def site_of(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> tuple[Principal, int, int]:
    """Caller, dealer id and site id of a device path, after the 401/403/404/400 checks in order."""
    principal = caller(state, request)
    dealer_text, site_text = args["dealerId"], args["siteId"]
    if not principal.may_access(dealer_text):
        raise ApiError(403, f"this client may not access dealer {dealer_text}")
    dealer_id, site_id = parse_id(dealer_text), parse_id(site_text)
    if dealer_id is not None and not state.store.dealer_exists(dealer_id):
        raise ApiError(404, f"dealer {dealer_id} not found")
    if dealer_id is not None and site_id is not None and not state.store.site_exists(dealer_id, site_id):
        raise ApiError(404, f"site {site_id} not found for dealer {dealer_id}")
    if dealer_id is None:
        raise ApiError(400, f"dealerId must be a number, got {dealer_text!r}")
    if site_id is None:
        raise ApiError(400, f"siteId must be a number, got {site_text!r}")
    return principal, dealer_id, site_id


def checked_body(request: ApiRequest, schema_name: str) -> Any:
    """The JSON body, or 400 when it does not match the request schema (the whole request fails)."""
    body = read_json(request)
    found = problems(schema_name, body)
    if found:
        shown = "; ".join(str(problem) for problem in found[:MAX_REPORTED_PROBLEMS])
        more = (
            f" (and {len(found) - MAX_REPORTED_PROBLEMS} more)" if len(found) > MAX_REPORTED_PROBLEMS else ""
        )
        raise ApiError(400, f"invalid request body: {shown}{more}")
    return body


def list_devices(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    _, dealer_id, site_id = site_of(state, request, args)
    listed = state.store.list_devices(dealer_id, site_id)
    state.stats.count_listed(len(listed))
    return json_response(listed)


def get_device(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    _, dealer_id, site_id = site_of(state, request, args)
    device_id = parse_id(args["deviceId"])
    if device_id is None:
        raise ApiError(400, f"deviceId must be a number, got {args['deviceId']!r}")
    device = state.store.get_device(dealer_id, site_id, device_id)
    if device is None:
        raise ApiError(404, f"device {device_id} not found at site {site_id} of dealer {dealer_id}")
    return json_response(device)


def create_devices(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    principal, dealer_id, site_id = site_of(state, request, args)
    items = checked_body(request, "bulk-create-request")
    outcome = bulk.create_devices(
        state.store, state.faults, dealer_id, site_id, items, partner=principal.partner
    )
    return json_response(outcome.as_json(), 201)


def update_devices(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    _, dealer_id, site_id = site_of(state, request, args)
    items = checked_body(request, "bulk-update-request")
    outcome = bulk.update_devices(state.store, state.faults, dealer_id, site_id, items)
    return json_response(outcome.as_json())


def delete_devices(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    _, dealer_id, site_id = site_of(state, request, args)
    body = checked_body(request, "bulk-delete-request")
    outcome = bulk.delete_devices(state.store, state.faults, dealer_id, site_id, body["deviceIds"])
    return json_response(outcome.as_json())
