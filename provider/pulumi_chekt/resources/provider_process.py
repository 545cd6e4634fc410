"""Explicit provider processes: more than four device calls in flight, one process per shard of sites.

The SDK's dynamic provider server handles at most four calls at a time, and the engine runs one
server process per *provider resource*. Every ``Device`` normally shares the one default provider
of the ``pulumi-python`` package; declaring explicit ``pulumi-python`` providers and spreading the
sites over them gives each shard its own process and its own four calls, while all the writes of
one site still meet in one process (where they are coalesced and their zone moves ordered).

What it does to a stack (tested end to end): moving devices between the default provider and an
explicit one, or between shards, is a provider change the engine resolves without touching the
device ("unchanged", no API call), because the dynamic provider has no DiffConfig and the device's
own diff finds nothing. The explicit provider's inputs hold the ``chekt:*`` config it is given
(secrets stay secrets, encrypted in state, exactly as the default provider's recorded config).
"""

from __future__ import annotations

from typing import Any

import pulumi

from pulumi_chekt.resources.settings import CONFIG_KEYS, NAMESPACE, SECRET_KEYS

DYNAMIC_PACKAGE = "pulumi-python"


BUDGET_KEY = "maxRequestsPerMinute"


def shared_budget(value: str, processes: int) -> str:
    """One process's share of the stack's ``chekt:maxRequestsPerMinute`` (at least 1 a minute): each
    process has its own budget, and together they must stay within the partner's limit."""
    try:
        whole = int(value)
    except ValueError:
        return value  # left for the provider to refuse, naming the key
    return str(max(1, whole // processes)) if whole > 0 else value


def provider_config(config: pulumi.Config, processes: int = 1) -> dict[str, Any]:
    """The ``chekt:*`` stack config each of ``processes`` provider processes needs, secrets kept as
    secrets, the request budget divided among them; keys that are not set are left out, so the
    provider falls back to the CHEKT_* environment variables."""
    values: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = config.get_secret(key) if key in SECRET_KEYS else config.get(key)
        if value is not None:
            if key == BUDGET_KEY and isinstance(value, str):
                value = shared_budget(value, processes)
            values[f"{NAMESPACE}:{key}"] = value
    return values


class ProviderProcess(pulumi.ProviderResource):
    """One explicit dynamic provider: its own process, serving the sites assigned to it."""

    def __init__(self, name: str, config: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DYNAMIC_PACKAGE, name, config, opts)


def shard_of(dealer_id: int, site_id: int, shards: int) -> int:
    """The shard a site belongs to: stable while sites are added or removed (no reshuffling)."""
    return (dealer_id * 1_000_003 + site_id) % shards


def provider_options(process: ProviderProcess | None) -> pulumi.ResourceOptions | None:
    """Options that put a site's devices (the component's children) on ``process``."""
    return None if process is None else pulumi.ResourceOptions(providers={DYNAMIC_PACKAGE: process})
