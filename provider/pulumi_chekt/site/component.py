"""``SiteDevices``: one site's declared devices as a component with one Device child per device."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from pulumi_chekt.contract.device_fields import DEALER_ID, EXTERNAL_ID, SITE_ID
from pulumi_chekt.resources import Device, DeviceArgs
from pulumi_chekt.resources.site_record import SiteRecord
from pulumi_chekt.site.sitefile import SiteSpec, load_site_file, site_from_mapping

COMPONENT_TYPE = "chekt:index:SiteDevices"


def device_resource_name(site: SiteSpec, external_device_id: str) -> str:
    """Named by dealer, site and external id (never by position), so reordering entries changes nothing."""
    return f"{site.dealer_id}/{site.site_id}/{external_device_id}"


def resolve_site(
    *,
    site: SiteSpec | None = None,
    site_file: str | Path | None = None,
    dealer_id: int | None = None,
    site_id: int | None = None,
    devices: Sequence[Mapping[str, Any]] | None = None,
) -> SiteSpec:
    """Exactly one way of naming the site: a SiteSpec, a file, or dealer_id + site_id + devices."""
    given = [site is not None, site_file is not None, devices is not None]
    if sum(given) != 1:
        raise ValueError("SiteDevices needs exactly one of: site, site_file, or dealer_id/site_id/devices")
    if site is not None:
        return site
    if site_file is not None:
        return load_site_file(site_file)
    return site_from_mapping(
        {DEALER_ID: dealer_id, SITE_ID: site_id, "devices": [dict(d) for d in devices or []]}
    )


class SiteDevices(pulumi.ComponentResource):
    """Validates the whole site before any device is registered, then declares its site record and
    one Device per entry. Each device depends on the record (its step, which writes the whole site in
    bulk, runs first) and is deleted with it (destroying the site deletes its devices in bulk)."""

    devices: dict[str, Device]
    record: SiteRecord

    def __init__(
        self,
        name: str,
        *,
        site: SiteSpec | None = None,
        site_file: str | Path | None = None,
        dealer_id: int | None = None,
        site_id: int | None = None,
        devices: Sequence[Mapping[str, Any]] | None = None,
        prune: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec = resolve_site(
            site=site, site_file=site_file, dealer_id=dealer_id, site_id=site_id, devices=devices
        )
        super().__init__(COMPONENT_TYPE, name, {}, opts)
        self.site = spec
        declared = {entry[EXTERNAL_ID]: _device_fields(entry) for entry in spec.devices}
        self.record = SiteRecord(
            spec.dealer_id,
            spec.site_id,
            declared,
            prune=spec.prune if prune is None else prune,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.devices = {}
        for external_id, fields in declared.items():
            args = DeviceArgs(dealer_id=spec.dealer_id, site_id=spec.site_id, **fields)
            options = pulumi.ResourceOptions(parent=self, depends_on=[self.record], deleted_with=self.record)
            self.devices[external_id] = Device(device_resource_name(spec, external_id), args, options)
        self.register_outputs({"device_ids": {key: device.device_id for key, device in self.devices.items()}})


def _device_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in (DEALER_ID, SITE_ID)}
