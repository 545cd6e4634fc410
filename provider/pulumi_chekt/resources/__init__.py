"""Provider resources: the Device dynamic resource and its provider.

The names below are imported on first use (module ``__getattr__``): ``resources.fields`` and
``resources.settings`` load no Pulumi module, so the CLI reads field sets and config keys from them
without paying for the Pulumi SDK and grpc.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    """Import the module behind a re-exported name when it is first asked for, then cache the value."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
