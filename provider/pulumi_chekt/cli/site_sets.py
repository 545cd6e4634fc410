"""The site records of a preview: each site's declared set, its ``prune`` flag, and the live devices
that no site file declares.

The provider keeps one record per site (``chekt:Site``, see ``resources/site_record.py``): its inputs
are the site's declared set and ``prune``; its outputs hold ``undeclared``, the site's live devices
it does not manage, as last listed. A refresh lists the site (the record's ``read``), and in
``pulumi preview --refresh --json --show-sames`` the record's own step (same, update) carries those
refreshed outputs as its old state and the file's declared set as its new inputs. A device the new
inputs declare is about to be created or adopted, so it is not "not in git".

Whether a site was listed is part of the answer: a record the change creates (a new site) has no
listing yet, an unchanged record is not in a preview without ``--show-sames``, and a preview
without ``--refresh`` shows the listing of the last ``up``, which may be stale. Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pulumi_chekt.contract.device_fields import DEALER_ID, DEVICE_ID, DEVICE_TYPE, EXTERNAL_ID, SITE_ID, ZONE

NOT_REFRESHED = "not refreshed"
NEW_SITE = "no site record yet: the first refreshed preview after `pulumi up` lists them"
NOT_SHOWN = "unchanged, and the preview has no `--show-sames`"
"""Why a site's live devices are not known (``SiteSet.unlisted``)."""


def is_site_record(kind: str) -> bool:
    """True for the site record type ``pulumi-python:dynamic/chekt:Site`` (not ``SiteDevices``)."""
    return "chekt" in kind and kind.endswith(":Site")


@dataclass(frozen=True)
class LiveDevice:
    """A device CHeKT holds at a site that no site file declares."""

    external_id: str
    device_id: Any
    device_type: Any
    zone: Any


@dataclass(frozen=True)
class SiteSet:
    """One site as its record shows it in the preview.

    ``undeclared`` is None when the preview did not list the site; ``unlisted`` then says why.
    """

    dealer_id: int
    site_id: int
    prune: bool
    declared: frozenset[str]
    undeclared: tuple[LiveDevice, ...] | None = None
    unlisted: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return self.dealer_id, self.site_id

    def listed(self, live: Iterable[Mapping[str, Any]]) -> SiteSet:
        """This site with ``live`` (a fresh list of the site) as its listing."""
        return replace(self, undeclared=undeclared_devices(live, self.declared), unlisted="")


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value == int(value) and value > 0:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def record_site(name: str, *sources: Mapping[str, Any]) -> tuple[int, int] | None:
    """(dealer, site) of a record: from its inputs, else from its name ``{dealer}/{site}``."""
    for source in sources:
        dealer, site = _id(source.get(DEALER_ID)), _id(source.get(SITE_ID))
        if dealer is not None and site is not None:
            return dealer, site
    parts = name.split("/")
    if len(parts) == 2 and all(part.isdigit() for part in parts):
        return int(parts[0]), int(parts[1])
    return None


def declared_ids(inputs: Mapping[str, Any]) -> frozenset[str]:
    devices = inputs.get("devices")
    return frozenset(str(key) for key in devices) if isinstance(devices, Mapping) else frozenset()


def undeclared_devices(live: Iterable[Any], declared: Iterable[str]) -> tuple[LiveDevice, ...]:
    """The devices of ``live`` (rows of a listing) whose external id ``declared`` does not hold."""
    keep = set(declared)
    found = []
    for row in live:
        if not isinstance(row, Mapping) or str(row.get(EXTERNAL_ID)) in keep:
            continue
        device_id = _id(row.get(DEVICE_ID))
        found.append(
            LiveDevice(
                str(row.get(EXTERNAL_ID)),
                device_id if device_id is not None else row.get(DEVICE_ID),
                row.get(DEVICE_TYPE),
                row.get(ZONE),
            )
        )
    return tuple(found)


def site_set(
    name: str,
    new_inputs: Mapping[str, Any],
    old_outputs: Mapping[str, Any],
    *,
    created: bool,
    refreshed: bool,
) -> SiteSet | None:
    """The site of a record's non-refresh step: the file's declared set, and the refreshed listing."""
    site = record_site(name, new_inputs, old_outputs)
    if site is None:
        return None
    declared = declared_ids(new_inputs)
    listing = old_outputs.get("undeclared")
    result = SiteSet(site[0], site[1], new_inputs.get("prune") is True, declared)
    if created:
        return replace(result, unlisted=NEW_SITE)
    if not refreshed or not isinstance(listing, list):
        return replace(result, unlisted=NOT_REFRESHED)
    return replace(result, undeclared=undeclared_devices(listing, declared))


def unchanged_site_set(name: str, inputs: Mapping[str, Any]) -> SiteSet | None:
    """A record that the preview refreshed but did not list (no ``--show-sames``): it is unchanged.

    With ``prune`` the provider's diff found nothing to delete in the refreshed listing (else the
    record would change), so nothing is undeclared; without it, the listing is unknown.
    """
    site = record_site(name, inputs)
    if site is None:
        return None
    result = SiteSet(site[0], site[1], inputs.get("prune") is True, declared_ids(inputs))
    return replace(result, undeclared=()) if result.prune else replace(result, unlisted=NOT_SHOWN)
