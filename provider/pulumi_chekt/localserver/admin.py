"""Handlers of the ``/_admin/`` endpoints: health, stats, reset, seed and fault control.

They need no credentials, which is acceptable only because nothing but a local program can reach
them. The server listens on loopback alone, and :func:`check_caller` keeps out what a web page in a
local browser can send: a request whose peer is not loopback, whose ``Host`` is not a loopback name
(DNS rebinding), that carries a browser's ``Origin`` or a cross-site ``Sec-Fetch-Site``, or that
writes (POST/PUT) with a body type other than JSON (a page may POST ``text/plain`` or a form to any
address without asking first; JSON needs a CORS preflight, which this server never grants). Admin
requests are neither counted in the stats nor subject to fault injection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from werkzeug.wrappers import Response

from pulumi_chekt.contract import problems
from pulumi_chekt.contract.device_fields import DEALER_ID, PARTNER, SITE_ID
from pulumi_chekt.localserver.bulk import describe
from pulumi_chekt.localserver.config import PARTNERS, is_loopback
from pulumi_chekt.localserver.faults import FaultSettings, QueuedFault
from pulumi_chekt.localserver.responses import ApiError, ApiRequest, json_response, read_json
from pulumi_chekt.localserver.state import ServerState
from pulumi_chekt.localserver.store import MAX_ID, Conflict

T = TypeVar("T")
SEED_PARTNER = "chekt"  # registered_by_partner of a seeded device that does not name one


_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]@/]+)(?::[0-9]{1,5})?")
_BROWSER_SITES = ("none", "same-origin")  # Sec-Fetch-Site of an address typed by the user, or same page
_WRITE_METHODS = ("POST", "PUT", "PATCH")


def _loopback_host(header: str | None) -> bool:
    """Whether a Host header names this machine: localhost or a loopback address, with any port."""
    match = _HOST.fullmatch(header or "")
    return match is not None and is_loopback(match.group(1).lower())


def check_caller(request: ApiRequest) -> None:
    """Refuse (403, 415) an admin request that a web page or a remote peer could have made."""
    if not is_loopback(str(request.remote_addr or "")):
        raise ApiError(403, "admin endpoints are only served to loopback clients")
    if not _loopback_host(request.environ.get("HTTP_HOST")):
        raise ApiError(
            403, "admin endpoints only answer a loopback Host header (127.0.0.1, localhost, [::1])"
        )
    if "Origin" in request.headers:
        raise ApiError(403, "admin endpoints refuse requests from web pages (Origin header)")
    if request.headers.get("Sec-Fetch-Site", "none").lower() not in _BROWSER_SITES:
        raise ApiError(403, "admin endpoints refuse requests from web pages (Sec-Fetch-Site header)")
    if request.method in _WRITE_METHODS and request.mimetype != "application/json":
        raise ApiError(
            415, f"admin endpoints accept {request.method} only with Content-Type application/json"
        )


def health(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    return json_response({"status": "ok"})


def stats(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    """``total``, ``requests`` (per route), ``devices_listed`` (devices in list answers) and ``store``."""
    return json_response({**state.stats.snapshot(), "store": state.store.counts()})


def reset(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    state.reset()
    return json_response({"status": "reset"})


def get_faults(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    return json_response(state.faults.snapshot())


def _read_body(request: ApiRequest, parse: Callable[[Mapping[str, Any]], T], what: str) -> T:
    """The JSON object of the request read by ``parse``; 400 when it is not one, or ``parse`` refuses it."""
    body = read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, f"{what} must be a JSON object")
    try:
        return parse(body)
    except ValueError as error:
        raise ApiError(400, f"invalid {what}: {error}") from error


def put_faults(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    state.faults.replace(_read_body(request, FaultSettings.from_dict, "faults"))
    return json_response(state.faults.snapshot())


def queue_fault(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    state.faults.enqueue(_read_body(request, QueuedFault.from_dict, "queued fault"))
    return json_response(state.faults.snapshot())


def _positive(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ApiError(400, f"{where} must be a positive integer")
    return value


def _entries(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ApiError(400, f"{where} must be a list")
    return value


def seed(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    """Create dealers, sites and devices in one transaction: all of them, or none on a 400/409."""
    body = read_json(request)
    if not isinstance(body, dict) or set(body) != {"dealers"}:
        raise ApiError(400, 'the seed body must be {"dealers": [...]}')
    created: list[dict[str, Any]] = []
    store = state.store
    with store.batch():
        for d, dealer in enumerate(_entries(body["dealers"], "dealers")):
            if not isinstance(dealer, dict) or not set(dealer) <= {DEALER_ID, "sites"}:
                raise ApiError(400, f"dealers[{d}] must be an object with {DEALER_ID} and sites")
            dealer_id = _positive(dealer.get(DEALER_ID), f"dealers[{d}].{DEALER_ID}")
            store.add_sites({dealer_id: []})
            for s, entry in enumerate(_entries(dealer.get("sites", []), f"dealers[{d}].sites")):
                where = f"dealers[{d}].sites[{s}]"
                site = {SITE_ID: entry} if isinstance(entry, int) and not isinstance(entry, bool) else entry
                if not isinstance(site, dict) or not set(site) <= {SITE_ID, "devices"}:
                    raise ApiError(400, f"{where} must be a site id or an object with {SITE_ID} and devices")
                site_id = _positive(site.get(SITE_ID), f"{where}.{SITE_ID}")
                store.add_sites({dealer_id: [site_id]})
                for n, device in enumerate(_entries(site.get("devices", []), f"{where}.devices")):
                    created.append(_seed_device(state, dealer_id, site_id, device, f"{where}.devices[{n}]"))
    return json_response({"devices": created}, 201)


def _seed_device(state: ServerState, dealer_id: int, site_id: int, device: Any, where: str) -> dict[str, Any]:
    if not isinstance(device, dict):
        raise ApiError(400, f"{where} must be an object")
    fields = {key: value for key, value in device.items() if key != PARTNER}
    partner = device.get(PARTNER, SEED_PARTNER)
    if partner not in PARTNERS:
        raise ApiError(400, f"{where}.{PARTNER} must be one of {', '.join(PARTNERS)}")
    found = problems("device-create", fields)
    if found:
        raise ApiError(400, f"{where}: {describe(found)}")
    try:
        return state.store.create_device(dealer_id, site_id, fields, partner)
    except Conflict as error:
        raise ApiError(409, f"{where}: {error}") from error
