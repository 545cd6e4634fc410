"""The one error a failed device write raises, with what a person needs to act on it.

Its text is the whole story on one line — which device, what the API said (status and message) and
the trace id to quote to CHeKT — because it is what ``pulumi up`` prints for the resource.
"""

from __future__ import annotations

from pulumi_chekt.api import BulkItemResult, ChektError


class DeviceOperationError(ChektError):
    """A write for this device failed: the API refused its item, or the request failed for good."""


def item_error(
    action: str, external_id: str, item: BulkItemResult, trace_id: str, *, hint: str = ""
) -> DeviceOperationError:
    """The error for a failed item of a bulk call: status, the API's message and the trace id."""
    status = item.status_code
    said = item.error_message or "no message"
    shown = f"status {status}" if status is not None else "no status"
    advice = f"; {hint}" if hint else ""
    return DeviceOperationError(
        f"{action} of device {external_id!r} failed ({shown}): {said}{advice}",
        status=status,
        trace_id=trace_id,
        api_message=item.error_message,
    )
