"""``summarize --live``: tell the creates that will adopt a live device apart from real creates.

The provider's ``create`` first looks for a device with the same external_device_id at the site and
adopts it (``resources/provider.py``), which the engine still reports as a create. Here the same
lookup runs ahead of time: one list call per site that has pending creates, nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from pulumi_chekt.api import ChektError, ChektNotFound
from pulumi_chekt.cli.preview import (
    ABSENT,
    ADOPT,
    SECRET,
    UNKNOWN_VALUE,
    DeviceChange,
    FieldChange,
    PreviewSummary,
)
from pulumi_chekt.contract.device_fields import DEVICE_ID, DEVICE_TYPE, EXTERNAL_ID
from pulumi_chekt.resources.fields import UPDATABLE_FIELDS, comparable, update_changes

ListDevices = Callable[[int, int], Iterable[Mapping[str, Any]]]


def _desired(change: DeviceChange) -> dict[str, Any]:
    return {f.name: f.new for f in change.fields if f.new is not ABSENT}


def adoption_fields(live: Mapping[str, Any], desired: Mapping[str, Any]) -> list[FieldChange]:
    """The fields the adoption will update: those of ``update_changes``, the provider's own rule.

    A secret or not-yet-known desired value cannot be compared, so it is listed with the live
    value hidden as well (a secret's live value must not leak through the comparison).
    """
    markers = {
        key for key in UPDATABLE_FIELDS if desired.get(key) is SECRET or desired.get(key) is UNKNOWN_VALUE
    }
    changed = update_changes(live, {key: value for key, value in desired.items() if key not in markers})
    have, want = comparable(live), comparable(desired)
    found = []
    for key in UPDATABLE_FIELDS:
        if key in markers:
            value = desired[key]
            found.append(FieldChange(key, SECRET if value is SECRET else live.get(key, ABSENT), value))
        elif key in changed:
            found.append(FieldChange(key, have.get(key, ABSENT), want.get(key, ABSENT)))
    return found


def adopted(change: DeviceChange, live: Mapping[str, Any]) -> DeviceChange:
    """``change`` (a create) as the adoption of ``live``; a device of another type cannot be adopted."""
    desired = _desired(change)
    note = ""
    if live.get(DEVICE_TYPE) != desired.get(DEVICE_TYPE):
        note = (
            f"exists live as a {live.get(DEVICE_TYPE)!s}, not a {desired.get(DEVICE_TYPE)!s}: "
            "`pulumi up` will fail (declare its real device_type or delete it in CHeKT)"
        )
    return replace(
        change,
        action=ADOPT,
        device_id=live.get(DEVICE_ID),
        fields=adoption_fields(live, desired),
        note=note,
    )


def _sites_with_creates(changes: Iterable[DeviceChange]) -> list[tuple[int, int]]:
    sites = {
        (c.dealer_id, c.site_id)
        for c in changes
        if c.action == "create" and c.dealer_id is not None and c.site_id is not None
    }
    return sorted((dealer, site) for dealer, site in sites if dealer is not None and site is not None)


def check_live(
    summary: PreviewSummary, list_devices: ListDevices
) -> tuple[PreviewSummary, ChektError | None]:
    """``summary`` with creates of live external ids turned into adoptions.

    A site the API does not know is noted (the up would fail there too). Any other API error stops
    the check: the summary is returned unchanged but for a note, with the error, so the caller can
    still print it and fail.
    """
    live: dict[tuple[int, int], dict[str, Mapping[str, Any]]] = {}
    notes: list[str] = []
    for dealer, site in _sites_with_creates(summary.changes):
        try:
            devices = list_devices(dealer, site)
        except ChektNotFound:
            notes.append(f"dealer {dealer} site {site} was not found in CHeKT: creates there will fail")
            continue
        except ChektError as error:
            note = f"creates could not be checked against the live sites: {error}"
            return replace(summary, live_checked=False, live_notes=[note]), error
        live[(dealer, site)] = {str(d.get(EXTERNAL_ID)): d for d in devices}
    changes = []
    for change in summary.changes:
        found = live.get((change.dealer_id or 0, change.site_id or 0), {}).get(change.external_id)
        changes.append(adopted(change, found) if change.action == "create" and found else change)
    return replace(summary, changes=changes, live_checked=True, live_notes=notes), None
