"""What one provider process holds while the engine drives it: the API client, the ledger of the
site records' outcomes, and per site a snapshot of its live devices and the two ways of writing to
it (the site record's whole-site step, the per-device path).

It lives on the configured providers, never in pickled state (``__getstate__`` keeps it out). The
SDK configures each provider class once per process; the device and site-record providers of one
process are given the same config and must share one runtime (the site record's step records
outcomes that the devices' steps collect), so runtimes are shared by settings (``runtime_for``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from pulumi_chekt.api import ChektClient
from pulumi_chekt.resources.device_writer import DeviceWriter
from pulumi_chekt.resources.group_commit import Pause
from pulumi_chekt.resources.ledger import Ledger
from pulumi_chekt.resources.plans import RunPlans
from pulumi_chekt.resources.round_runner import (
    DevicesApi,
    MapRequests,
    RoundRunner,
    ThreadedRequests,
    WriterPolicy,
)
from pulumi_chekt.resources.settings import ProviderSettings
from pulumi_chekt.resources.site_step import SiteStep
from pulumi_chekt.resources.snapshot import SiteSnapshot
from pulumi_chekt.resources.workers import BusyWorkers

SiteKey = tuple[int, int]


@dataclass
class SiteWriting:
    """One site's snapshot and writers; ``lock`` keeps the site step and per-device rounds apart."""

    snapshot: SiteSnapshot
    runner: RoundRunner
    devices: DeviceWriter
    step: SiteStep
    lock: threading.Lock

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self.lock:
            yield


class ProviderRuntime:
    """The client, the plans and outcomes of this run, and each site's writers."""

    def __init__(
        self,
        settings: ProviderSettings,
        policy: WriterPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        client: DevicesApi | None = None,
        ledger: Ledger | None = None,
        map_requests: MapRequests[Any, Any] | None = None,
        pause: Pause | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._given_client = client
        self._pause = pause
        self.plans = RunPlans()
        self.ledger = ledger or Ledger(clock)
        self.workers = BusyWorkers()
        self.policy = policy or WriterPolicy()
        self._requests = map_requests or ThreadedRequests(self.policy.max_parallel_requests)
        self._lock = threading.Lock()
        self._client: ChektClient | None = None
        self._sites: dict[SiteKey, SiteWriting] = {}

    @property
    def client(self) -> DevicesApi:
        """The API client, made on first use (so a preview without credentials never needs one)."""
        if self._given_client is not None:
            return self._given_client
        with self._lock:
            if self._client is None:
                self._client = self.settings.make_client()
            return self._client

    def site(self, site: SiteKey) -> SiteWriting:
        client = self.client
        with self._lock:
            if site not in self._sites:
                dealer_id, site_id = site
                snapshot = SiteSnapshot(lambda: client.list_devices(dealer_id, site_id), clock=self.clock)
                runner = RoundRunner(
                    client, site, snapshot, policy=self.policy, clock=self.clock, map_requests=self._requests
                )
                lock = threading.Lock()
                writer = DeviceWriter(
                    runner, self.plans, workers=self.workers, lock=lock, clock=self.clock, pause=self._pause
                )
                step = SiteStep(runner, self.ledger, clock=self.clock, sleep=self.sleep)
                self._sites[site] = SiteWriting(snapshot, runner, writer, step, lock)
            return self._sites[site]

    def snapshot(self, site: SiteKey) -> SiteSnapshot:
        return self.site(site).snapshot

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


_SHARED: dict[tuple[Any, ...], ProviderRuntime] = {}
_SHARED_LOCK = threading.Lock()


def _identity(settings: ProviderSettings) -> tuple[Any, ...]:
    """Equal settings, equal identity (the settings hold a mapping, so they are not hashable)."""
    values = tuple(getattr(settings, f.name) for f in fields(settings) if f.compare and f.name != "sources")
    return (*values, tuple(sorted(settings.sources.items())))


def runtime_for(settings: ProviderSettings) -> ProviderRuntime:
    """The one runtime of this process for ``settings`` (shared by the device and site providers)."""
    key = _identity(settings)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = ProviderRuntime(settings)
        return _SHARED[key]


def forget_runtimes() -> None:
    """Close and drop every shared runtime: what a new provider process starts with (tests)."""
    with _SHARED_LOCK:
        for runtime in _SHARED.values():
            runtime.close()
        _SHARED.clear()
