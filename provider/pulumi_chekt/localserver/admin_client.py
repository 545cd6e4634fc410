"""A small client for the ``/_admin/`` endpoints, for tests and scripts."""

from __future__ import annotations

from typing import Any

import requests


class AdminError(RuntimeError):
    """An admin call was refused; carries the HTTP status and the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class AdminClient:
    """Talks to the admin endpoints of a local server at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if body is None and method != "GET":
            body = {}  # the server accepts writes only as JSON, even when there is nothing to say
        response = requests.request(method, f"{self.base_url}/_admin/{path}", json=body, timeout=self.timeout)
        if not response.ok:
            try:
                message = str(response.json().get("message", response.text))
            except (ValueError, AttributeError):
                message = response.text
            raise AdminError(response.status_code, message)
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result

    def stats(self) -> dict[str, Any]:
        """``{"total": n, "requests": {"<METHOD> <route template>": count}, "devices_listed": n,
        "store": {...}}``; ``devices_listed`` adds up the devices of every list-devices answer."""
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def reset(self) -> None:
        """Devices, tokens, stats and faults back to the start configuration."""
        self._call("POST", "reset")

    def seed(self, dealers: list[dict[str, Any]]) -> dict[str, Any]:
        """Create dealers, sites and devices; returns ``{"devices": [...]}`` (the created devices)."""
        result: dict[str, Any] = self._call("POST", "seed", {"dealers": dealers})
        return result

    def set_faults(self, **fields: Any) -> dict[str, Any]:
        """Replace the whole fault configuration (fields not given go back to their defaults)."""
        result: dict[str, Any] = self._call("PUT", "faults", fields)
        return result

    def queue_fault(self, **fields: Any) -> dict[str, Any]:
        """Append one one-shot fault to the queue."""
        result: dict[str, Any] = self._call("POST", "faults/queue", fields)
        return result

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "faults")
        return result

    def request_count(self, method: str, route: str) -> int:
        """API requests counted for a route template, e.g. ``("POST", "/oauth/token")``."""
        return int(self.stats()["requests"].get(f"{method.upper()} {route}", 0))
