"""Provider resources: the Device dynamic resource and its provider."""

from pulumi_chekt.resources.provider import DeviceOperationError, DeviceProvider
from pulumi_chekt.resources.resource import Device, DeviceArgs

__all__ = ["Device", "DeviceArgs", "DeviceOperationError", "DeviceProvider"]
