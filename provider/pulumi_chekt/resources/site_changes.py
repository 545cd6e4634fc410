"""What a change does to a whole site, as writes: the pure planner of the site record's step.

Input: the site's previous declared set (the site record's state: each managed device's fields and
device_id, as last applied), its new declared set (the site file), and, when the change needs it,
a live list of the site. Output: every delete, update and create the change needs, and which
devices leave. This is the ApplySet idea (``kubectl apply --prune --applyset``): the parent records
what it applied, so the next change knows what it removes — which the engine, deleting removed
resources only after every create and update, never tells a provider in time.

Rules, matching what the devices' own diffs tell the engine:
- a device removed from the file is deleted (found live by external id, else by its recorded id);
- a device whose ``device_type`` changes is replaced: deleted, then created (new device_id);
- a device whose other fields change is updated with the fields the file changed;
- a device new to the set is created, or adopted when a live device has its external id;
- with ``prune``, a live device no file declares is deleted; without it, it is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_chekt.api import Device
from pulumi_chekt.contract.device_fields import DEALER_ID, DEVICE_ID, DEVICE_TYPE, EXTERNAL_ID, SITE_ID, ZONE
from pulumi_chekt.resources.fields import ID_FIELDS, comparable
from pulumi_chekt.resources.writes import Kind, Write, new_create, new_delete, new_update

Row = dict[str, Any]
"""One device of a site record: its input fields without dealer_id, site_id and external_device_id
(the set is keyed by external id); in the record's outputs, also its device_id."""

SiteKey = tuple[int, int]
ROW_OMITS = (*ID_FIELDS, EXTERNAL_ID)


def row_of(device: Mapping[str, Any]) -> Row:
    """The row of a device (inputs, outputs or a live device): its normalized input fields."""
    return {key: value for key, value in comparable(device).items() if key not in ROW_OMITS}


def encode_row(row: Mapping[str, Any]) -> str:
    """A row as the record's state holds it: one canonical JSON text, not a map of properties.

    With default checkpoints the engine rewrites the whole state after every step, and its cost there
    follows the number of property values more than their bytes: a text per device keeps a record of
    1,000 devices at 2,000 values (inputs and outputs), not 10,000."""
    fields = {**row_of(row), **({DEVICE_ID: row[DEVICE_ID]} if row.get(DEVICE_ID) is not None else {})}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode_row(value: Any) -> Row:
    """A row of the record's state (a JSON text; a mapping is read too), with its device_id if any."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, Mapping):
        return {}
    row = row_of(value)
    device_id = value.get(DEVICE_ID)
    if isinstance(device_id, int | float) and not isinstance(device_id, bool):
        row[DEVICE_ID] = int(device_id)
    return row


def inputs_of(site: SiteKey, external_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The full device inputs of a row, as the device's own step receives them."""
    fields = {key: value for key, value in row.items() if key != DEVICE_ID}
    return comparable({DEALER_ID: site[0], SITE_ID: site[1], EXTERNAL_ID: external_id, **fields})


def same_row(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return row_of(a) == row_of(b)


@dataclass
class SiteChange:
    """The writes of one change to one site."""

    writes: list[Write] = field(default_factory=list)
    leaving: set[int] = field(default_factory=set)
    """device_ids this change deletes (removed, replaced, pruned)."""
    removed: dict[str, Row] = field(default_factory=dict)
    """Managed devices the file no longer declares: external id -> previous row (with device_id)."""
    pruned: list[Device] = field(default_factory=list)


def needs_live(previous: Mapping[str, Row], declared: Mapping[str, Row], prune: bool) -> bool:
    """Whether planning needs a live list: anything but in-place updates that move no zone."""
    if prune or set(previous) != set(declared):
        return True
    for external_id, row in declared.items():
        before = previous[external_id]
        if before.get(DEVICE_TYPE) != row.get(DEVICE_TYPE):
            return True
        if row_of(before).get(ZONE) != row_of(row).get(ZONE):
            return True
    return False


def plan_site(
    site: SiteKey,
    previous: Mapping[str, Row],
    declared: Mapping[str, Row],
    live: Iterable[Device] | None,
    *,
    prune: bool,
    now: float,
) -> SiteChange:
    """The writes that take the site from ``previous`` to ``declared`` (``live``: None when not listed)."""
    listed = list(live) if live is not None else None
    by_external = {str(d.get(EXTERNAL_ID)): d for d in listed or []}
    change = SiteChange()

    def live_id(external_id: str, row: Mapping[str, Any]) -> int | None:
        if listed is None:
            recorded = row.get(DEVICE_ID)
            return int(recorded) if isinstance(recorded, int) else None
        found = by_external.get(external_id)
        return int(found[DEVICE_ID]) if found is not None else None  # None: gone already

    for external_id, before in previous.items():
        if external_id in declared:
            continue
        change.removed[external_id] = dict(before)
        device_id = live_id(external_id, before)
        if device_id is not None:
            change.writes.append(new_delete(device_id, external_id, now))
            change.leaving.add(device_id)

    for external_id, row in declared.items():
        desired = inputs_of(site, external_id, row)
        prior = previous.get(external_id)
        if prior is None:
            change.writes.append(new_create(desired, now))  # adopted when live (the runner matches it)
            continue
        if same_row(prior, row):
            continue  # the file did not change it (drift, if any, shows after a refresh, on its own step)
        if listed is None:  # in-place updates that move no zone: the recorded id, no list needed
            olds = inputs_of(site, external_id, prior)
            change.writes.append(new_update(int(prior[DEVICE_ID]), olds, desired, now))
            continue
        found = by_external.get(external_id)
        if found is None:
            continue  # deleted outside git: its own step (after a refresh) creates it again
        device_id = int(found[DEVICE_ID])
        if found.get(DEVICE_TYPE) != row.get(DEVICE_TYPE):
            change.writes.append(new_delete(device_id, external_id, now))
            change.leaving.add(device_id)
            change.writes.append(new_create(desired, now))
            continue
        # The fields the file changed, unless CHeKT has them already (a targeted run wrote them).
        update = new_update(device_id, inputs_of(site, external_id, prior), desired, now)
        current = comparable(found)
        changes = {key: value for key, value in update.changes.items() if current.get(key, "") != value}
        if changes:
            change.writes.append(replace(update, changes=changes))

    if prune and listed is not None:
        for device in listed:
            device_id = int(device[DEVICE_ID])
            if str(device.get(EXTERNAL_ID)) not in declared and device_id not in change.leaving:
                change.pruned.append(dict(device))
                change.writes.append(new_delete(device_id, str(device.get(EXTERNAL_ID)), now))
                change.leaving.add(device_id)
    return change


def declared_zones(declared: Mapping[str, Row]) -> list[tuple[str, str]]:
    """(external id, zone) of every declared device."""
    return [
        (external_id, str(row[ZONE]).strip())
        for external_id, row in declared.items()
        if isinstance(row.get(ZONE), str)
    ]


def write_of(writes: Iterable[Write], external_id: str) -> Write | None:
    """The create or update of ``external_id`` among ``writes``."""
    return next((w for w in writes if w.external_id == external_id and w.kind is not Kind.DELETE), None)
