"""Read ``pulumi preview --json`` into device changes, with every secret already redacted.

Only the Pulumi CLI's JSON is read (no engine call): steps whose resource is a CHeKT Device become
one change each; a site record's step (``chekt:Site``) tells the site's declared set, ``prune`` and
the live devices no file declares (``site_sets``), and with ``prune`` each of those becomes a
``prune`` change; other resources (the stack, SiteDevices components, the records) only count as
unchanged.
Secrets arrive as the text ``[secret]`` or as a Pulumi secret envelope; both become ``SECRET``
before anything else looks at them, so no later code can reveal one.

With ``--refresh`` the CLI (3.274) emits one ``refresh`` step per resource whose ``newState`` is a
copy of ``oldState``, so the refresh steps themselves show nothing. Drift is read from what follows
them: an ``update`` whose old *outputs* (the refreshed live values) differ from inputs that the
files did not change was changed outside git, and a ``create`` of a resource that was refreshed
(so was in the state) was deleted outside git.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_chekt.cli.site_sets import (
    LiveDevice,
    SiteSet,
    is_site_record,
    record_site,
    site_set,
    unchanged_site_set,
)
from pulumi_chekt.contract.device_fields import (
    DEALER_ID,
    DEVICE_ID,
    DEVICE_TYPE,
    EXTERNAL_ID,
    ID_FIELDS,
    SITE_ID,
    ZONE,
)
from pulumi_chekt.resources.fields import INPUT_FIELDS, PROVIDER_KEY, UNKNOWN, comparable

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 (a marker, not a password)
"""The key that marks a serialized Pulumi secret (``pulumi.runtime.rpc._special_sig_key``)."""
SECRET_TEXT = "[secret]"  # noqa: S105 (the placeholder Pulumi prints)

ACTIONS = ("create", "update", "replace", "delete")
"""The engine's operations on a device, in the order of the total line."""
ADOPT = "adopt"
"""A create whose external_device_id already exists at the live site (found by ``--live``)."""
RESTORE = "restore"
"""An update that only undoes changes made outside git (found by refresh)."""
RECREATE = "recreate"
"""A create of a device that was deleted outside git (found by refresh)."""
DRIFT_ACTIONS = (RESTORE, RECREATE)
PRUNE = "prune"
"""A live device that no site file declares, deleted by `pulumi up` because its site file sets prune."""
REPLACE_OPS = {"replace", "create-replacement", "delete-replaced"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Marker:
    """A value that must be shown as a placeholder, never as itself."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


SECRET = _Marker(SECRET_TEXT)
UNKNOWN_VALUE = _Marker("(known after apply)")
ABSENT = _Marker("(none)")


class PreviewFormatError(ValueError):
    """The input is not the JSON document of ``pulumi preview --json``."""


def with_placeholders(value: Any) -> Any:
    """``value`` with every secret (at any depth) replaced by SECRET and unknowns by UNKNOWN_VALUE."""
    if value == SECRET_TEXT:
        return SECRET
    if value == UNKNOWN:
        return UNKNOWN_VALUE
    if isinstance(value, Mapping):
        if SECRET_SIGNATURE_KEY in value:
            return SECRET
        return {str(key): with_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_placeholders(item) for item in value]
    return value


@dataclass(frozen=True)
class FieldChange:
    """One field of a device: ``old`` is ABSENT for a create, ``new`` is ABSENT for a delete.

    ``drift`` marks a field the files did not change but the live device no longer matches: the
    change undoes an edit made outside git.
    """

    name: str
    old: Any = ABSENT
    new: Any = ABSENT
    forces_replacement: bool = False
    drift: bool = False


@dataclass
class DeviceChange:
    """What the preview plans for one Device; ``action`` is one of ACTIONS, ADOPT, DRIFT_ACTIONS or the raw op."""

    action: str
    external_id: str
    dealer_id: int | None
    site_id: int | None
    device_id: Any = None
    fields: list[FieldChange] = field(default_factory=list)
    note: str = ""
    """A warning for the reviewer, e.g. that an adoption will fail."""


@dataclass
class PreviewSummary:
    """The device changes of a preview, its unchanged count and the errors of a failed preview.

    ``refreshed``: the preview ran with ``--refresh``, so drift is known. ``live_checked``: creates
    were compared with the live sites (``summarize --live``); ``live_notes`` says what could not be.
    """

    changes: list[DeviceChange]
    unchanged: int
    unchanged_is_device_count: bool
    errors: list[str]
    refreshed: bool = False
    live_checked: bool = False
    live_notes: list[str] = field(default_factory=list)
    sites: list[SiteSet] = field(default_factory=list)
    """The sites whose record the preview shows (``site_sets``)."""
    shown: dict[tuple[int, int], frozenset[str]] = field(default_factory=dict)
    """Per site, the external ids of the devices the preview shows and does not delete."""
    warnings: list[tuple[tuple[int, int] | None, str]] = field(default_factory=list)
    """The site records' plan-time warnings (a device `pulumi up` will fail), with their site."""

    def count(self, action: str) -> int:
        return sum(1 for change in (*self.changes, *self.pruned) if change.action == action)

    @property
    def other(self) -> int:
        known = (*ACTIONS, ADOPT, PRUNE, *DRIFT_ACTIONS)
        return sum(1 for change in self.changes if change.action not in known)

    @property
    def pruned(self) -> list[DeviceChange]:
        """The live devices no file declares at sites whose file sets ``prune``: `pulumi up` deletes them."""
        return [
            DeviceChange(
                PRUNE,
                device.external_id,
                site.dealer_id,
                site.site_id,
                device.device_id,
                [FieldChange(DEVICE_TYPE, old=device.device_type), FieldChange(ZONE, old=device.zone)],
            )
            for site in self.sites
            if site.prune
            for device in site.undeclared or ()
        ]

    @property
    def not_in_git(self) -> list[tuple[SiteSet, list[LiveDevice]]]:
        """Per site without ``prune``, the live devices no file declares (left alone by `pulumi up`)."""
        return [(site, list(site.undeclared)) for site in self.sites if not site.prune and site.undeclared]

    @property
    def unlisted(self) -> list[SiteSet]:
        """The sites whose live devices this preview could not list."""
        return [site for site in self.sites if site.undeclared is None]

    @property
    def drift(self) -> list[DeviceChange]:
        """Devices changed or deleted outside git (some also have changes from the files)."""
        return [c for c in self.changes if c.action in DRIFT_ACTIONS or any(f.drift for f in c.fields)]

    @property
    def planned(self) -> list[DeviceChange]:
        """The changes that come from the files (everything but drift corrections), prunes included."""
        return [change for change in self.changes if change.action not in DRIFT_ACTIONS] + self.pruned


def _urn_parts(urn: str) -> tuple[str, str]:
    """(type, name) of ``urn:pulumi:<stack>::<project>::<qualified type>::<name>``."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return "", urn
    return parts[2].rsplit("$", 1)[-1], parts[3]


def _kind(step: Mapping[str, Any]) -> str:
    kind, _ = _urn_parts(str(step.get("urn", "")))
    for state in (step.get("newState"), step.get("oldState")):
        if isinstance(state, Mapping) and isinstance(state.get("type"), str):
            kind = state["type"]
    return kind


def is_device(step: Mapping[str, Any]) -> bool:
    """True for a CHeKT Device (the dynamic resource type ``pulumi-python:dynamic/chekt:Device``)."""
    kind = _kind(step)
    return kind.endswith(":Device") and "chekt" in kind


def is_record(step: Mapping[str, Any]) -> bool:
    """True for a site record (``pulumi-python:dynamic/chekt:Site``): not a device, never counted as one."""
    return is_site_record(_kind(step))


def _inputs(state: Any) -> dict[str, Any]:
    if not isinstance(state, Mapping) or not isinstance(state.get("inputs"), Mapping):
        return {}
    return {key: value for key, value in with_placeholders(state["inputs"]).items() if key != PROVIDER_KEY}


def _outputs(state: Any) -> dict[str, Any]:
    if not isinstance(state, Mapping) or not isinstance(state.get("outputs"), Mapping):
        return {}
    return {key: value for key, value in with_placeholders(state["outputs"]).items() if key != PROVIDER_KEY}


def _ordered(keys: set[str]) -> list[str]:
    """Fields in the order of the device schema, then any others alphabetically."""
    return [key for key in INPUT_FIELDS if key in keys] + sorted(keys - set(INPUT_FIELDS))


def _declared(values: Mapping[str, Any], *, old: bool) -> list[FieldChange]:
    shown = set(values) - {*ID_FIELDS, EXTERNAL_ID}  # named by the row, not listed as fields
    if old:
        return [FieldChange(key, old=values[key]) for key in _ordered(shown)]
    return [FieldChange(key, new=values[key]) for key in _ordered(shown)]


def _is_marker(value: Any) -> bool:
    return value is SECRET or value is UNKNOWN_VALUE


def _canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    """Input fields in the provider's comparable form (absent, empty and None all mean "not set")."""
    return comparable({key: value for key, value in values.items() if value is not ABSENT})


def _differences(
    old: Mapping[str, Any], new: Mapping[str, Any], replaces: set[str], live: Mapping[str, Any] | None = None
) -> list[FieldChange]:
    """Fields whose values differ; a secret on either side cannot be compared, so it is listed.

    With ``live`` (the old outputs), a field the files left alone but whose live value differs
    from the new input is listed too, as drift, from its live value.
    """
    live = live or {}
    canonical_live, canonical_new = _canonical(live), _canonical(new)

    def drifted(key: str) -> bool:
        value = live.get(key, ABSENT)
        return (
            key in INPUT_FIELDS
            and value is not ABSENT
            and not _is_marker(value)
            and not _is_marker(new.get(key))
            and canonical_live.get(key) != canonical_new.get(key)
        )

    found = []
    for key in _ordered(set(old) | set(new) | set(live)):
        before, after = old.get(key, ABSENT), new.get(key, ABSENT)
        if before != after or SECRET in (before, after):
            found.append(FieldChange(key, before, after, key in replaces))
        elif drifted(key):
            found.append(FieldChange(key, live[key], after, key in replaces, drift=True))
    return found


def _as_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _site_ids(name: str, *sources: Mapping[str, Any]) -> tuple[int | None, int | None, str]:
    """(dealer, site, external id) from the inputs, else from the name ``{dealer}/{site}/{external id}``."""
    parts = name.split("/", 2)
    named = parts if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() else None
    dealer = next((_as_id(s.get(DEALER_ID)) for s in sources if _as_id(s.get(DEALER_ID))), None)
    site = next((_as_id(s.get(SITE_ID)) for s in sources if _as_id(s.get(SITE_ID))), None)
    external = next((s[EXTERNAL_ID] for s in sources if isinstance(s.get(EXTERNAL_ID), str)), None)
    if named is not None:
        dealer = dealer if dealer is not None else int(named[0])
        site = site if site is not None else int(named[1])
        external = external if external is not None else named[2]
    return dealer, site, external if external is not None else name


def _device_id(state: Any) -> Any:
    if not isinstance(state, Mapping):
        return None
    return with_placeholders(state["id"]) if state.get("id") else _outputs(state).get(DEVICE_ID)


def device_change(
    action: str,
    step: Mapping[str, Any],
    replaced_by: Mapping[str, Any] | None = None,
    *,
    refreshed_state: Mapping[str, Any] | None = None,
) -> DeviceChange:
    """The change one step (or the steps of one replacement, merged) plans for a device.

    ``refreshed_state`` is the state the refresh step of a created device started from: the device
    was in the state, so the create re-creates a device deleted outside git.
    """
    merged = {**step, **{k: v for k, v in (replaced_by or {}).items() if v is not None}}
    old_state, new_state = merged.get("oldState"), merged.get("newState")
    old, new = _inputs(old_state), _inputs(new_state)
    _, name = _urn_parts(str(merged.get("urn", "")))
    dealer_id, site_id, external_id = _site_ids(name, new, old)
    device_id = _device_id(old_state)
    replaces = {str(reason) for reason in merged.get("replaceReasons") or []}
    if action == "create" and refreshed_state is not None:
        action, device_id = RECREATE, _device_id(refreshed_state)
        fields = _declared(new, old=False)
    elif action == "create":
        fields = _declared(new, old=False)
    elif action == "delete":
        fields = _declared(old, old=True)
    else:
        fields = _differences(old, new, replaces, _outputs(old_state) if new else None)
        if action == "update" and fields and all(f.drift for f in fields):
            action = RESTORE
    return DeviceChange(action, str(external_id), dealer_id, site_id, device_id, fields)


def _action(op: str) -> str:
    return "replace" if op in REPLACE_OPS else op


def _error_messages(document: Mapping[str, Any]) -> list[str]:
    diagnostics = document.get("diagnostics")
    if not isinstance(diagnostics, list):
        return []
    return [
        _ANSI.sub("", str(d.get("message", ""))).strip()
        for d in diagnostics
        if isinstance(d, Mapping) and d.get("severity") == "error"
    ]


def record_warnings(document: Mapping[str, Any]) -> list[tuple[tuple[int, int] | None, str]]:
    """The warnings the site records logged while planning, each once, with the record's site."""
    diagnostics = document.get("diagnostics")
    found: list[tuple[tuple[int, int] | None, str]] = []
    for item in diagnostics if isinstance(diagnostics, list) else []:
        if not isinstance(item, Mapping) or item.get("severity") != "warning":
            continue
        kind, name = _urn_parts(str(item.get("urn", "")))
        message = _ANSI.sub("", str(item.get("message", ""))).strip().removeprefix("warning: ")
        if is_site_record(kind) and message and (record_site(name), message) not in found:
            found.append((record_site(name), message))
    return found


def _unchanged(
    steps: list[Mapping[str, Any]], document: Mapping[str, Any], changed_urns: set[str]
) -> tuple[int, bool]:
    """(count, whether it counts devices exactly) of the resources the preview leaves alone.

    Without ``--show-sames`` the CLI lists no unchanged step, but after a refresh every resource of
    the state has a refresh step: the unchanged devices are then the total ``same`` count minus the
    other resources that were refreshed and not changed (the stack, the SiteDevices components).
    """
    device_sames = {str(s.get("urn")) for s in steps if s.get("op") == "same" and is_device(s)}
    listed_sames = sum(1 for step in steps if step.get("op") == "same")
    summary = document.get("changeSummary")
    total_sames = summary.get("same") if isinstance(summary, Mapping) else None
    if not isinstance(total_sames, int) or listed_sames >= total_sames:
        return len(device_sames), True
    refreshed = {str(s.get("urn")): s for s in steps if s.get("op") == "refresh"}
    if refreshed:
        others = {urn for urn, step in refreshed.items() if not is_device(step)} - changed_urns
        return max(total_sames - len(others), 0), True
    return total_sames, False


def summarize_preview(document: Any) -> PreviewSummary:
    """The device changes in ``document`` (the parsed output of ``pulumi preview --json``)."""
    if not isinstance(document, Mapping) or not ({"steps", "changeSummary", "diagnostics"} & set(document)):
        raise PreviewFormatError(
            "not the output of `pulumi preview --json` (no steps, changeSummary or diagnostics)"
        )
    steps = [step for step in document.get("steps") or [] if isinstance(step, Mapping)]
    refreshed_from = {
        str(step.get("urn")): step.get("oldState")
        for step in steps
        if step.get("op") == "refresh" and isinstance(step.get("oldState"), Mapping)
    }
    changes: list[DeviceChange] = []
    replacements: dict[str, tuple[int, Mapping[str, Any]]] = {}
    changed_urns: set[str] = set()
    for step in steps:
        op = str(step.get("op", ""))
        urn = str(step.get("urn", ""))
        if op not in ("same", "refresh", "read"):
            changed_urns.add(urn)
        if not is_device(step) or op in ("same", "refresh"):
            continue
        action = _action(op)
        if action == "replace" and urn in replacements:
            index, first = replacements[urn]  # one device replaced, reported by several steps
            changes[index] = device_change(action, first, step)
            continue
        if action == "replace":
            replacements[urn] = (len(changes), step)
        changes.append(device_change(action, step, refreshed_state=refreshed_from.get(urn)))
    unchanged, exact = _unchanged(steps, document, changed_urns)
    return PreviewSummary(
        changes=changes,
        unchanged=unchanged,
        unchanged_is_device_count=exact,
        errors=_error_messages(document),
        refreshed=bool(refreshed_from),
        sites=site_sets(steps, refreshed_from),
        shown=shown_devices(steps),
        warnings=record_warnings(document),
    )


def site_sets(steps: list[Mapping[str, Any]], refreshed_from: Mapping[str, Any]) -> list[SiteSet]:
    """The site of each record step: from its own step, else (unchanged, no ``--show-sames``) from its
    refresh step; a record the change deletes (its site left the files) is not a site any more."""
    records = [step for step in steps if is_record(step)]
    found: dict[str, SiteSet | None] = {}
    for step in records:
        op, urn = str(step.get("op", "")), str(step.get("urn", ""))
        _, name = _urn_parts(urn)
        if op in ("refresh", "read"):
            continue
        if op in ("delete", "delete-replaced", "discard"):
            found[urn] = None
            continue
        found[urn] = site_set(
            name,
            _inputs(step.get("newState")),
            _outputs(step.get("oldState")),
            created=op == "create",
            refreshed=urn in refreshed_from,
        )
    for step in records:
        urn = str(step.get("urn", ""))
        if step.get("op") == "refresh" and urn not in found:
            found[urn] = unchanged_site_set(_urn_parts(urn)[1], _inputs(step.get("oldState")))
    sites = {site.key: site for site in found.values() if site is not None}
    return [sites[key] for key in sorted(sites)]


def shown_devices(steps: list[Mapping[str, Any]]) -> dict[tuple[int, int], frozenset[str]]:
    """Per site, the devices the preview shows that stay declared: the declared set of a site whose
    record is not in the preview (a program older than the records)."""
    deleted = {str(s.get("urn")) for s in steps if s.get("op") == "delete" and is_device(s)}
    shown: dict[tuple[int, int], set[str]] = {}
    for step in steps:
        if not is_device(step) or str(step.get("urn")) in deleted:
            continue
        state = step.get("newState") if isinstance(step.get("newState"), Mapping) else step.get("oldState")
        _, name = _urn_parts(str(step.get("urn", "")))
        dealer, site, external_id = _site_ids(name, _inputs(state))
        if dealer is not None and site is not None:
            shown.setdefault((dealer, site), set()).add(external_id)
    return {key: frozenset(ids) for key, ids in shown.items()}
