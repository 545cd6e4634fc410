"""Provider resources: the Device dynamic resource and its provider.

The names below are imported on first use (module ``__getattr__``): ``resources.fields`` and
``resources.settings`` load no Pulumi module, so the CLI reads field sets and config keys from them
without paying for the Pulumi SDK and grpc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulumi_chekt._lazy import lazy_exports

if TYPE_CHECKING:
    from pulumi_chekt.resources.errors import DeviceOperationError
    from pulumi_chekt.resources.provider import DeviceProvider
    from pulumi_chekt.resources.resource import Device, DeviceArgs

_EXPORTS = {
    "Device": "pulumi_chekt.resources.resource",
    "DeviceArgs": "pulumi_chekt.resources.resource",
    "DeviceOperationError": "pulumi_chekt.resources.errors",
    "DeviceProvider": "pulumi_chekt.resources.provider",
}

__all__ = ["Device", "DeviceArgs", "DeviceOperationError", "DeviceProvider"]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
