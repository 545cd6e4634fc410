"""``SiteRecord``: the per-site record of a stack (``chekt:Site``), ApplySet-like.

One per declared site, registered by ``SiteDevices`` before the site's devices, which depend on it
(so the engine runs its step first) and name it in ``deleted_with`` (so destroying the site deletes
them in bulk, through it). Its inputs carry the site's declared set; its state, what was applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from pulumi_chekt.contract.device_fields import DEALER_ID, SITE_ID
from pulumi_chekt.resources.site_changes import encode_row
from pulumi_chekt.resources.site_provider import SiteProvider


def record_name(dealer_id: int, site_id: int) -> str:
    return f"{dealer_id}/{site_id}"


class SiteRecord(Resource, module="chekt", name="Site"):
    """The declared set of one CHeKT site, and what the stack last applied there."""

    dealer_id: pulumi.Output[int]
    site_id: pulumi.Output[int]
    prune: pulumi.Output[bool]
    devices: pulumi.Output[dict[str, str]]
    """external_device_id -> the device's fields as one JSON text (in state: as applied, with its
    device_id); ``site_changes.decode_row`` reads one."""
    undeclared: pulumi.Output[list[dict[str, Any]]]
    """Live devices of the site that no file declares, as last listed."""

    def __init__(
        self,
        dealer_id: int,
        site_id: int,
        devices: Mapping[str, Mapping[str, Any]],
        *,
        prune: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            DEALER_ID: dealer_id,
            SITE_ID: site_id,
            "prune": prune,
            "devices": {external_id: encode_row(fields) for external_id, fields in devices.items()},
            "undeclared": None,
        }
        super().__init__(SiteProvider(), record_name(dealer_id, site_id), props, opts)
