"""The local server's request counters (GET /_admin/stats) for each API route, named once for all tests."""

from __future__ import annotations

from typing import Any

DEVICES = "/partner/v1/dealers/{dealerId}/sites/{siteId}/devices"
TOKEN = "POST /oauth/token"
LIST = f"GET {DEVICES}"
GET = f"GET {DEVICES}/{{deviceId}}"
CREATE = f"POST {DEVICES}"
UPDATE = f"PUT {DEVICES}"
DELETE = f"POST {DEVICES}/bulk-delete"
WRITES = (CREATE, UPDATE, DELETE)


def count(admin: Any, *keys: str) -> int:
    """Requests the server counted for these routes, added up."""
    requests = admin.stats()["requests"]
    return sum(int(requests.get(key, 0)) for key in keys)
