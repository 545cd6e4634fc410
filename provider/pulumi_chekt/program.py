"""The root Pulumi program: converge every site file matched by ``chekt:sites`` (globs).

Every file is loaded and validated before any resource is registered, so one bad file fails the
preview with all problems listed, and the API receives no write.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pulumi
from pulumi.runtime.config import is_config_secret

from pulumi_chekt.resources.provider_process import (
    ProviderProcess,
    provider_config,
    provider_options,
    shard_of,
)
from pulumi_chekt.resources.settings import CONFIG_KEYS, SECRET_KEYS
from pulumi_chekt.site import (
    SiteDevices,
    SiteProblem,
    SiteSpec,
    SiteValidationError,
    check_site_file,
    duplicate_site_problems,
)
from pulumi_chekt.site.globs import DEFAULT_SITE_GLOBS, SITES_HINT, site_files, site_globs
from pulumi_chekt.site.sitefile import project_root

__all__ = ["DEFAULT_SITE_GLOBS", "SITES_HINT", "load_sites", "main", "site_files", "site_globs"]


def load_sites(files: list[Path], root: Path) -> list[SiteSpec]:
    """Every site, or SiteValidationError with the problems of all files at once. A file whose real
    path is outside the project root (a symlink to a secret, say) is refused before it is read."""
    sites: list[SiteSpec] = []
    found: list[SiteProblem] = []
    for path in files:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        site, problems = check_site_file(path, root=root)
        found += [replace(p, file=str(shown)) for p in problems]
        if site is not None:
            sites.append(replace(site, source=str(shown)))
    found += duplicate_site_problems(sites)
    if found:
        raise SiteValidationError(found)
    return sites


def _summary(sites: list[SiteSpec]) -> dict[str, int]:
    """``"dealer/site"`` -> number of devices: one output line per site, whatever the fleet's size.

    Plain values, never a device's Output: the stack's outputs are then registered at once, so a
    failed ``up`` still records (and shows) them, and the program does no work per device for them.
    """
    return {f"{site.dealer_id}/{site.site_id}": len(site.devices) for site in sites}


MAX_PROVIDER_PROCESSES = 16


def provider_processes(config: pulumi.Config) -> list[ProviderProcess]:
    """``chekt:providerProcesses`` explicit provider processes (none: the engine's one default provider)."""
    count = config.get_int("providerProcesses") or 1
    if not 1 <= count <= MAX_PROVIDER_PROCESSES:
        raise pulumi.RunError(
            f"chekt:providerProcesses must be from 1 to {MAX_PROVIDER_PROCESSES}, got {count}"
        )
    if count == 1:
        return []
    values = provider_config(config, count)
    return [ProviderProcess(f"chekt-devices-{index}", values) for index in range(count)]


def refuse_plaintext_secrets(config: pulumi.Config) -> None:
    """A credential set without --secret would sit in clear text in Pulumi.<stack>.yaml and in state."""
    for key in SECRET_KEYS:
        if not is_config_secret(f"chekt:{key}") and config.get(key) is not None:
            raise pulumi.RunError(
                f"chekt:{key} is stored in plain text: set it with `pulumi config set --secret chekt:{key} ...` "
                f"(or use the environment variable {CONFIG_KEYS[key]} instead)"
            )


def main() -> None:
    config = pulumi.Config("chekt")
    refuse_plaintext_secrets(config)
    try:
        patterns = site_globs(config.get("sites"))
    except ValueError as error:
        raise pulumi.RunError(str(error)) from None
    root = project_root(Path(pulumi.get_root_directory() or ".").resolve())
    files = site_files(patterns, root)
    if not files and not config.get_bool("allowNoSites"):
        # Converging to "no sites" would delete every managed device: refuse unless asked explicitly.
        raise pulumi.RunError(
            f"chekt:sites {patterns} matched no files (set chekt:allowNoSites true to allow)"
        )
    try:
        sites = load_sites(files, root)
    except SiteValidationError as error:
        raise pulumi.RunError(str(error)) from None
    processes = provider_processes(config)
    for site in sites:
        process = processes[shard_of(site.dealer_id, site.site_id, len(processes))] if processes else None
        SiteDevices(f"site-{site.dealer_id}-{site.site_id}", site=site, opts=provider_options(process))
    pulumi.export("sites", _summary(sites))
    pulumi.export("site_count", len(sites))
    pulumi.export("device_count", sum(len(site.devices) for site in sites))
