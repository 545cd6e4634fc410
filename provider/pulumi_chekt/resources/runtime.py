"""What one provider process holds while the engine drives it: the API client, and per site a
snapshot of its live devices and the writer that coalesces its writes.

It lives on the configured provider instance (the SDK configures one instance per process and
caches it), never in pickled state: ``DeviceProvider.__getstate__`` keeps it out.
"""

from __future__ import annotations

import threading

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources.plans import RunPlans
from pulumi_chekt.resources.settings import ProviderSettings
from pulumi_chekt.resources.site_writer import SiteWriter, WriterPolicy
from pulumi_chekt.resources.snapshot import SiteSnapshot

SiteKey = tuple[int, int]


class ProviderRuntime:
    """The client, the plans of this run, and one snapshot and one writer per site."""

    def __init__(self, settings: ProviderSettings, policy: WriterPolicy | None = None) -> None:
        self.settings = settings
        self.plans = RunPlans()
        self._policy = policy or WriterPolicy()
        self._lock = threading.Lock()
        self._client: ChektClient | None = None
        self._snapshots: dict[SiteKey, SiteSnapshot] = {}
        self._writers: dict[SiteKey, SiteWriter] = {}

    @property
    def client(self) -> ChektClient:
        """The API client, made on first use (so a preview without credentials never needs one)."""
        with self._lock:
            if self._client is None:
                self._client = self.settings.make_client()
            return self._client

    def snapshot(self, site: SiteKey) -> SiteSnapshot:
        client = self.client
        with self._lock:
            if site not in self._snapshots:
                dealer_id, site_id = site
                self._snapshots[site] = SiteSnapshot(lambda: client.list_devices(dealer_id, site_id))
            return self._snapshots[site]

    def writer(self, site: SiteKey) -> SiteWriter:
        client, snapshot = self.client, self.snapshot(site)
        with self._lock:
            if site not in self._writers:
                self._writers[site] = SiteWriter(
                    client, *site, snapshot=snapshot, plans=self.plans, policy=self._policy
                )
            return self._writers[site]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
