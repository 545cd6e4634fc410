"""Result types of the API client: plain data, tied back to what was sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Device = dict[str, Any]
"""A device as the API returns it (see schemas/device.schema.json)."""


@dataclass(frozen=True)
class BulkItemResult:
    """The outcome of one item of a bulk call; ``index`` is its position in the request body."""

    index: int
    request: dict[str, Any]
    is_successful: bool
    status_code: int | None = None
    error_message: str = ""
    device: Device | None = None


@dataclass(frozen=True)
class BulkResult:
    """A bulk response. A partial failure is not an exception here: the caller decides what it means."""

    success_count: int
    failure_count: int
    items: list[BulkItemResult] = field(default_factory=list)
    trace_id: str = ""

    @property
    def successes(self) -> list[BulkItemResult]:
        return [item for item in self.items if item.is_successful]

    @property
    def failures(self) -> list[BulkItemResult]:
        return [item for item in self.items if not item.is_successful]
