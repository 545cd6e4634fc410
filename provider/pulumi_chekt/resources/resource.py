"""``Device``: one CHeKT camera or bridge at a site, as a Pulumi resource.

Its inputs (``DeviceArgs``) and output annotations (``DeviceOutputs``) are generated from the
schemas into ``device_types.py``; what is written here is how a Device registers itself.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from pulumi_chekt.resources.device_types import DeviceArgs, DeviceOutputs
from pulumi_chekt.resources.fields import OUTPUT_FIELDS
from pulumi_chekt.resources.provider import DeviceProvider

__all__ = ["Device", "DeviceArgs"]


class Device(Resource, DeviceOutputs, module="chekt", name="Device"):
    """A device at a CHeKT site; an existing device with the same external_device_id is adopted."""

    def __init__(
        self, resource_name: str, args: DeviceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Every output is named (as None) so the engine reports it, then the inputs that are set.
        props: dict[str, Any] = dict.fromkeys(OUTPUT_FIELDS)
        props.update(args.props())
        super().__init__(DeviceProvider(), resource_name, props, opts)
