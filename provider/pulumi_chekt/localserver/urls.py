"""The routes: one werkzeug ``Map`` for the API, one for ``/_admin/``; each rule's endpoint is its handler.

Route templates (``/partner/v1/dealers/{dealerId}/...``) name the request counters of ``/_admin/stats``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from pulumi_chekt.localserver import admin, devices, oauth
from pulumi_chekt.localserver.responses import ApiRequest
from pulumi_chekt.localserver.state import ServerState

Handler = Callable[[ServerState, ApiRequest, Mapping[str, str]], Response]

DEVICES = "/partner/v1/dealers/<dealerId>/sites/<siteId>/devices"
ADMIN_PREFIX = "/_admin/"


def _map(rules: list[Rule]) -> Map:
    return Map(rules, strict_slashes=False, merge_slashes=False)


API_MAP = _map(
    [
        Rule("/oauth/token", methods=["POST"], endpoint=oauth.token),
        Rule(DEVICES, methods=["GET"], endpoint=devices.list_devices),
        Rule(DEVICES, methods=["POST"], endpoint=devices.create_devices),
        Rule(DEVICES, methods=["PUT"], endpoint=devices.update_devices),
        Rule(f"{DEVICES}/bulk-delete", methods=["POST"], endpoint=devices.delete_devices),
        Rule(f"{DEVICES}/<deviceId>", methods=["GET"], endpoint=devices.get_device),
    ]
)
ADMIN_MAP = _map(
    [
        Rule("/_admin/health", methods=["GET"], endpoint=admin.health),
        Rule("/_admin/stats", methods=["GET"], endpoint=admin.stats),
        Rule("/_admin/reset", methods=["POST"], endpoint=admin.reset),
        Rule("/_admin/seed", methods=["POST"], endpoint=admin.seed),
        Rule("/_admin/faults", methods=["GET"], endpoint=admin.get_faults),
        Rule("/_admin/faults", methods=["PUT"], endpoint=admin.put_faults),
        Rule("/_admin/faults/queue", methods=["POST"], endpoint=admin.queue_fault),
    ]
)
