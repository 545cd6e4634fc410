"""``Device``: one CHeKT camera or bridge at a site, as a Pulumi resource."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from pulumi_chekt.resources.fields import API_ONLY_FIELDS
from pulumi_chekt.resources.provider import DeviceProvider


@dataclass
class DeviceArgs:
    """Inputs of a Device. dealer_id, site_id, device_type and external_device_id force a replacement."""

    dealer_id: pulumi.Input[int]
    site_id: pulumi.Input[int]
    external_device_id: pulumi.Input[str]
    device_type: pulumi.Input[str]
    zone_number: pulumi.Input[str]
    additional_zone_numbers: pulumi.Input[str] | pulumi.Input[list[str]] | None = None
    name: pulumi.Input[str] | None = None
    mac: pulumi.Input[str] | None = None
    manufacturer: pulumi.Input[str] | None = None
    model: pulumi.Input[str] | None = None
    serial_number: pulumi.Input[str] | None = None

    def props(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies values, and an Output (e.g. Output.secret) cannot be copied.
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return {key: value for key, value in values.items() if value is not None}


class Device(Resource, module="chekt", name="Device"):
    """A device at a CHeKT site; an existing device with the same external_device_id is adopted."""

    device_id: pulumi.Output[int]
    registered_by_partner: pulumi.Output[str]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    dealer_id: pulumi.Output[int]
    site_id: pulumi.Output[int]
    external_device_id: pulumi.Output[str]
    device_type: pulumi.Output[str]
    zone_number: pulumi.Output[str]
    additional_zone_numbers: pulumi.Output[str | None]
    name: pulumi.Output[str | None]
    mac: pulumi.Output[str | None]
    manufacturer: pulumi.Output[str | None]
    model: pulumi.Output[str | None]
    serial_number: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: DeviceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {key: None for key in DeviceArgs.__dataclass_fields__}
        props.update({key: None for key in API_ONLY_FIELDS})
        props.update(args.props())
        super().__init__(DeviceProvider(), resource_name, props, opts)
