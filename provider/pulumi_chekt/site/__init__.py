"""Site files and the SiteDevices component: one file (or mapping) per site, validated as a whole."""

from pulumi_chekt.site.component import SiteDevices, device_resource_name
from pulumi_chekt.site.problems import SiteProblem, SiteValidationError
from pulumi_chekt.site.sitefile import (
    SiteSpec,
    check_site_file,
    duplicate_site_problems,
    load_site_file,
    site_from_mapping,
)

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
