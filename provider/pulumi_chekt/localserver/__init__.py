"""A local CHeKT-compatible Partner Devices API server, in the spirit of moto and LocalStack.

It serves the five device endpoints of the reference plus ``POST /oauth/token`` on loopback only,
keeps its data in SQLite, validates every request with the contract schemas, and can inject
faults (errors, rate limits, latency, dropped connections, failing bulk items) through the
unauthenticated ``/_admin/`` endpoints. Start it in-process with :class:`LocalServer` or from the
command line with ``chekt-local-api`` / ``python -m pulumi_chekt.localserver``.

Choices where the reference is silent:

* ``POST /oauth/token`` (client credentials, HTTP Basic or form fields); tokens live in memory only.
* Check order: 401, 403 (dealer not allowed), 404 (numeric dealer/site unknown), 400 (non-numeric
  id), then the body: 413 (over ``max_body_bytes``, also for chunked bodies) or 400 (not JSON, or
  not matching the request schema). Any failure is ``{"status_code", "error", "message", "trace_id"}``.
* Bulk calls answer 201 (create) / 200 (update, delete) whenever the request is valid, even if all
  items failed; item statuses: 400 invalid, 404 unknown device at this site, 409 duplicate
  ``zone_number`` or ``external_device_id`` within the site, or a forced failure's status.
* Devices always carry every field; optional text fields never set are ``null``.
* Device ids are global, persistent and never reused (not even after ``/_admin/reset``).
* Sites are identified within their dealer; a device is only found through its own dealer and site.
* ``/_admin/`` needs no credentials (the server only listens on loopback, and refuses admin calls
  from other peers); admin requests are not counted and never faulted. Seeded devices default to
  ``registered_by_partner: "chekt"``.
* Faults apply to every API request, the token endpoint included.
* Each connection must deliver its whole request within ``request_timeout`` seconds (of waiting for
  the client); ``/_admin/`` refuses a non-loopback ``Host``, a browser ``Origin`` or cross-site
  ``Sec-Fetch-Site``, and POST/PUT bodies that are not ``application/json``.
* Uniqueness of ``external_device_id`` and ``zone_number`` within a site is on by default and can be
  switched off (``unique_external_ids``, ``unique_zones``): the reference never says it is enforced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulumi_chekt.localserver.admin_client import AdminClient, AdminError
from pulumi_chekt.localserver.config import ApiKeyConfig, ClientConfig, ConfigError, ServerConfig, load_config

if TYPE_CHECKING:
    from pulumi_chekt.localserver.server import LocalServer


def __getattr__(name: str) -> Any:
    """``LocalServer`` is imported on first use: it needs werkzeug (the ``localserver`` extra), and the
    command line must be able to say so instead of failing on import."""
    if name == "LocalServer":
        from pulumi_chekt.localserver.server import LocalServer  # noqa: PLC0415

        return LocalServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AdminClient",
    "AdminError",
    "ApiKeyConfig",
    "ClientConfig",
    "ConfigError",
    "LocalServer",
    "ServerConfig",
    "load_config",
]
