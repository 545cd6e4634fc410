"""``summarize --live``: what the live sites will make of the plan, before anything is written.

The provider's ``create`` first looks for a device with the same external_device_id at the site and
adopts it, which the engine still reports as a create; an adoption of a device of another type
fails; and a create or zone move into a zone that a live device no site file declares holds fails
too (``resources/zone_conflicts``: the same rule and words as the provider's error). Here the same
lookups run ahead of time: one list call per site with a create or a zone-changing update, nothing
written. Each device that will fail is named, with the holder and its zone. The listing also tells
which live devices no file declares at those sites (``site_sets``).
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
from pulumi_chekt.contract.device_fields import DEVICE_ID, DEVICE_TYPE, EXTERNAL_ID, ZONE
from pulumi_chekt.resources.fields import UPDATABLE_FIELDS, comparable, update_changes
from pulumi_chekt.resources.zone_conflicts import undeclared_holders

Listed = Mapping[str, Any]
"""One device of a live list of a site."""
ListDevices = Callable[[int, int], Iterable[Listed]]


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
            f"exists live as a {live.get(DEVICE_TYPE)!s} at zone {live.get(ZONE)!s}, not a "
            f"{desired.get(DEVICE_TYPE)!s}: `pulumi up` will fail (declare its real device_type or "
            "delete it in CHeKT)"
        )
    return replace(
        change,
        action=ADOPT,
        device_id=live.get(DEVICE_ID),
        fields=adoption_fields(live, desired),
        note=note,
    )


def wanted_zone(change: DeviceChange) -> str | None:
    """The zone_number a change writes: a create's, or an update's (or replacement's) new one."""
    for found in change.fields:
        if found.name == ZONE and isinstance(found.new, str):
            return found.new.strip()
    return None


def sites_to_check(changes: Iterable[DeviceChange]) -> list[tuple[int, int]]:
    """The sites with a create or a zone-changing update: where a live device may be in the way."""
    sites = {
        (c.dealer_id, c.site_id)
        for c in changes
        if wanted_zone(c) is not None and c.dealer_id is not None and c.site_id is not None
    }
    return sorted((dealer, site) for dealer, site in sites if dealer is not None and site is not None)


def _with_note(change: DeviceChange, note: str) -> DeviceChange:
    return replace(change, note=f"{change.note}; {note}" if change.note else note)


def _site_text(change: DeviceChange) -> str:
    return f"dealer {change.dealer_id}, site {change.site_id}"


def zone_conflicts(
    summary: PreviewSummary, changes: list[DeviceChange], live: Mapping[tuple[int, int], list[Listed]]
) -> list[DeviceChange]:
    """``changes`` with a note on each that wants a zone held by a live device no site file declares.

    The site's declared set is its record's new inputs, else the devices the preview shows there; a
    site that sets ``prune`` deletes such devices first, so nothing is in the way.
    """
    sites = {site.key: site for site in summary.sites}
    checked = []
    for change in changes:
        key = (change.dealer_id or 0, change.site_id or 0)
        zone = wanted_zone(change)
        if key not in live or zone is None:
            checked.append(change)
            continue
        record = sites.get(key)
        declared = record.declared if record is not None else summary.shown.get(key, frozenset())
        found = undeclared_holders(
            [(change.external_id, zone)], live[key], declared, prune=record is not None and record.prune
        )
        reasons = [f"`pulumi up` will fail: {conflict.reason}" for conflict in found]
        checked.append(_with_note(change, "; ".join(reasons)) if reasons else change)
    return checked


def failing_notes(changes: Iterable[DeviceChange]) -> list[str]:
    """One line per device whose row says it will fail: the rows of a long site may be cut."""
    failing = sorted(
        (c for c in changes if c.note), key=lambda c: (c.dealer_id or 0, c.site_id or 0, c.external_id)
    )
    return [f"{_site_text(c)}, device {c.external_id!r}: {c.note}" for c in failing]


def check_live(
    summary: PreviewSummary, list_devices: ListDevices
) -> tuple[PreviewSummary, ChektError | None]:
    """``summary`` checked against the live sites it writes zones at (one list call per site).

    Creates of live external ids become adoptions (noted when the type differs), writes into a zone
    that a device no site file declares holds are noted, and those sites' site sets get the listing.
    A site the API does not know is noted (the up would fail there too). Any other API error stops
    the check: the summary is returned unchanged but for a note, with the error, so the caller can
    still print it and fail.
    """
    live: dict[tuple[int, int], list[Listed]] = {}
    notes: list[str] = []
    for dealer, site in sites_to_check(summary.changes):
        try:
            live[(dealer, site)] = list(list_devices(dealer, site))
        except ChektNotFound:
            notes.append(f"dealer {dealer} site {site} was not found in CHeKT: creates there will fail")
        except ChektError as error:
            note = f"creates could not be checked against the live sites: {error}"
            return replace(summary, live_checked=False, live_notes=[note]), error
    by_external = {key: {str(d.get(EXTERNAL_ID)): d for d in devices} for key, devices in live.items()}
    changes = []
    for change in summary.changes:
        found = by_external.get((change.dealer_id or 0, change.site_id or 0), {}).get(change.external_id)
        changes.append(adopted(change, found) if change.action == "create" and found else change)
    changes = zone_conflicts(summary, changes, live)
    sites = [site.listed(live[site.key]) if site.key in live else site for site in summary.sites]
    notes = failing_notes(changes) + notes
    warnings = [warning for warning in summary.warnings if warning[0] not in live]  # listed afresh here
    return (
        replace(
            summary, changes=changes, sites=sites, warnings=warnings, live_checked=True, live_notes=notes
        ),
        None,
    )
