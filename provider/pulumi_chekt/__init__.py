"""pulumi-chekt: declare CHeKT site devices in code or site files and converge them with Pulumi.

Layers, each depending only on those before it: ``contract`` (the JSON Schemas) -> ``api`` (HTTP
client) -> ``resources`` (the Device dynamic provider) -> ``site`` (site files, SiteDevices) ->
``program`` (the root Pulumi program). ``localserver`` is a CHeKT-compatible API server for tests.
"""

__version__ = "0.1.0"

from pulumi_chekt.resources import Device, DeviceArgs, DeviceProvider
from pulumi_chekt.site import SiteDevices, SiteSpec, SiteValidationError, load_site_file

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
