"""Everything a running server holds, created from a ServerConfig and reset back to it."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_chekt.localserver.auth import Authenticator
from pulumi_chekt.localserver.config import ServerConfig
from pulumi_chekt.localserver.faults import FaultInjector, FaultSettings
from pulumi_chekt.localserver.ratelimit import RateLimiter
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
    limiter: RateLimiter
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
            limiter=RateLimiter(config.rate_limit_per_minute, config.rate_limit_burst),
        )

    def token_lifetime(self) -> int:
        """Lifetime for a new token: the fault override if set, else the configured one."""
        override = self.faults.token_lifetime
        return self.config.token_lifetime if override is None else override

    def rate_limited(self, caller: str) -> int | None:
        """None when ``caller`` is within its rate limit (one request counted), else the Retry-After
        seconds of its 429, which is counted as ``rate_limited`` in the stats."""
        retry_after = self.limiter.admit(caller)
        if retry_after is not None:
            self.stats.count_rate_limited()
        return retry_after

    def reset(self) -> None:
        """Back to the start configuration: seeded sites only, no devices, tokens, counts, extra faults
        or spent rate limits."""
        self.store.reset(self.config.dealers)
        self.auth.reset()
        self.faults.replace(FaultSettings.from_dict(self.config.faults))
        self.stats.reset()
        self.limiter.reset()

    def close(self) -> None:
        self.closed = True
        self.store.close()
