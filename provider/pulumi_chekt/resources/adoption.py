"""A create meets a live device with the same external_device_id: ours, adopted, or refused.

Dynamic providers have no ``pulumi import``, so a declared device that already exists in CHeKT is
taken under management here instead of being created twice: the same rule serves a create whose
answer was lost (the device is ours, found again) and a site brought under git (adopted, with a
warning). A live device of another type is never adopted: the API cannot change a device's type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pulumi_chekt.contract.device_fields import DEVICE_ID, DEVICE_TYPE
from pulumi_chekt.resources.errors import DeviceOperationError
from pulumi_chekt.resources.fields import update_changes
from pulumi_chekt.resources.writes import Kind, State, Write


def type_mismatch_message(external_id: str, live_type: Any, wanted_type: Any, dealer: int, site: int) -> str:
    """Why a live device cannot be adopted (shared with ``summarize --live``)."""
    return (
        f"device {external_id!r} already exists at dealer {dealer} site {site} as a {live_type}, not a "
        f"{wanted_type}; delete it in CHeKT or declare its real device_type"
    )


def match_live(write: Write, live: Mapping[str, Any] | None, site: tuple[int, int]) -> Write:
    """``write`` (a create) after looking at the live device with its external id, if any.

    Found and of the same type: it becomes an update of the fields that differ (or is done at once
    when none do); ``adopted`` unless the create itself may have made it (a lost answer). Not found:
    a create that may have been processed is sent again; otherwise nothing changes.
    """
    if write.kind is not Kind.CREATE or write.device_id is not None:
        return write
    if live is None:
        return replace(write, state=State.QUEUED) if write.state is State.LOOK_UP else write
    if live.get(DEVICE_TYPE) != write.desired.get(DEVICE_TYPE):
        message = type_mismatch_message(
            write.external_id, live.get(DEVICE_TYPE), write.desired.get(DEVICE_TYPE), *site
        )
        return write.failed(DeviceOperationError(message))
    matched = replace(
        write,
        state=State.QUEUED,
        device_id=int(live[DEVICE_ID]),
        adopted=not write.maybe_created,
        changes=update_changes(live, write.desired),
    )
    return matched if matched.changes else matched.succeeded(dict(live))
