"""pulumi-chekt: declare CHeKT site devices in code or site files and converge them with Pulumi.

Layers, each depending only on those before it: ``contract`` (the JSON Schemas) -> ``api`` (HTTP
client) -> ``resources`` (the Device dynamic provider) -> ``site`` (site files, SiteDevices) ->
``program`` (the root Pulumi program). ``localserver`` is a CHeKT-compatible API server for tests.

The re-exports below are resolved on first use (module ``__getattr__``), so importing
``pulumi_chekt.api``, ``pulumi_chekt.cli`` or ``pulumi_chekt.localserver`` does not load the Pulumi SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulumi_chekt._lazy import lazy_exports
from pulumi_chekt._version import __version__

if TYPE_CHECKING:
    from pulumi_chekt.resources import Device, DeviceArgs, DeviceProvider
    from pulumi_chekt.site import SiteDevices, SiteSpec, SiteValidationError, load_site_file

_EXPORTS = {
    "Device": "pulumi_chekt.resources",
    "DeviceArgs": "pulumi_chekt.resources",
    "DeviceProvider": "pulumi_chekt.resources",
    "SiteDevices": "pulumi_chekt.site",
    "SiteSpec": "pulumi_chekt.site",
    "SiteValidationError": "pulumi_chekt.site",
    "load_site_file": "pulumi_chekt.site",
}

__all__ = [
    "Device",
    "DeviceArgs",
    "DeviceProvider",
    "SiteDevices",
    "SiteSpec",
    "SiteValidationError",
    "__version__",
    "load_site_file",
]

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
