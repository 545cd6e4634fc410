"""Everything a running server holds, created from a ServerConfig and reset back to it."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_chekt.localserver.auth import Authenticator
from pulumi_chekt.localserver.config import ServerConfig
from pulumi_chekt.localserver.faults import FaultInjector, FaultSettings
from pulumi_chekt.localserver.stats import RequestStats
from pulumi_chekt.localserver.store import Store


@dataclass
class ServerState:
    """The model side of the server (no HTTP): data, credentials, faults and counters."""

    config: ServerConfig
    store: Store
    auth: Authenticator
    faults: FaultInjector
    stats: RequestStats
    closed: bool = False

    @classmethod
    def create(cls, config: ServerConfig) -> ServerState:
        """Open the store (keeping what a database file already holds) and add the configured sites."""
        store = Store(
            config.db_path,
            unique_external_ids=config.unique_external_ids,
            unique_zones=config.unique_zones,
        )
        store.add_sites(config.dealers)
        return cls(
            config=config,
            store=store,
            auth=Authenticator(config.clients, config.api_keys),
            faults=FaultInjector(FaultSettings.from_dict(config.faults)),
            stats=RequestStats(),
        )

    def token_lifetime(self) -> int:
        """Lifetime for a new token: the fault override if set, else the configured one."""
        override = self.faults.token_lifetime
        return self.config.token_lifetime if override is None else override

    def reset(self) -> None:
        """Back to the start configuration: seeded sites only, no devices, tokens, counts or extra faults."""
        self.store.reset(self.config.dealers)
        self.auth.reset()
        self.faults.replace(FaultSettings.from_dict(self.config.faults))
        self.stats.reset()

    def close(self) -> None:
        self.closed = True
        self.store.close()
