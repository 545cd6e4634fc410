"""Site files and the SiteDevices component: one file (or mapping) per site, validated as a whole.

``SiteDevices`` (and ``device_resource_name``) are imported on first use, so that reading and
validating site files (``chekt-devices validate``) does not load the Pulumi SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulumi_chekt.site.problems import SiteProblem, SiteValidationError
from pulumi_chekt.site.sitefile import (
    SiteSpec,
    check_site_file,
    duplicate_site_problems,
    load_site_file,
    site_from_mapping,
)

if TYPE_CHECKING:
    from pulumi_chekt.site.component import SiteDevices, device_resource_name

_LAZY = ("SiteDevices", "device_resource_name")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from pulumi_chekt.site import component  # noqa: PLC0415 - loads the Pulumi SDK, only when asked

        return getattr(component, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SiteDevices",
    "SiteProblem",
    "SiteSpec",
    "SiteValidationError",
    "check_site_file",
    "device_resource_name",
    "duplicate_site_problems",
    "load_site_file",
    "site_from_mapping",
]
