"""The dynamic provider behind ``pulumi_chekt.Device``: check, diff, create, read, update, delete.

The SDK's contract (``pulumi.dynamic.ResourceProvider``): ``create`` is transactional — if it fails,
nothing was created (a device created before a lost answer is found again by external_device_id,
never duplicated); if ``delete`` fails, the resource is assumed to still exist.

A device declared through ``SiteDevices`` is written by its site record's step, which runs first
(``site_provider``): its own create, update or delete then only returns the outcome recorded for it
in the ledger. Without one — ``pulumi up --target``, a ``Device`` used on its own, a change the
site record did not see — it goes the per-device path (``device_writer``).

The SDK pickles the provider (dill) into every resource's state. As a class of an installed module
it pickles by reference, and ``__getstate__`` keeps everything set at run time (the client, the
per-site snapshots and writers of ``ProviderRuntime``) out of it: state holds a few bytes naming the
class and no session, lock, client or credential.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_chekt.api import ChektNotFound
from pulumi_chekt.contract.device_fields import DEALER_ID, DEVICE_ID, EXTERNAL_ID, SITE_ID, UPDATED_AT
from pulumi_chekt.resources import engine_log
from pulumi_chekt.resources.errors import DeviceOperationError
from pulumi_chekt.resources.fields import (
    API_ONLY_FIELDS,
    ID_FIELDS,
    INPUT_FIELDS,
    REPLACE_FIELDS,
    UNKNOWN,
    comparable,
    input_problems,
    normalize,
    overlay,
)
from pulumi_chekt.resources.plans import Plan
from pulumi_chekt.resources.runtime import ProviderRuntime, runtime_for
from pulumi_chekt.resources.settings import ProviderSettings
from pulumi_chekt.resources.snapshot import READ_MAX_AGE_SECONDS
from pulumi_chekt.resources.writes import State, Write

__all__ = ["DeviceOperationError", "DeviceProvider", "outputs"]

STABLE_ON_UPDATE = tuple(key for key in API_ONLY_FIELDS if key != UPDATED_AT)
"""API-only outputs an in-place update leaves as they are (device_id, registered_by_partner, created_at)."""
TRACEBACKS_VARIABLE = "CHEKT_TRACEBACKS"


def _site(props: Mapping[str, Any]) -> tuple[int, int]:
    return int(props[DEALER_ID]), int(props[SITE_ID])


def outputs(inputs: Mapping[str, Any], device: Mapping[str, Any]) -> dict[str, Any]:
    """Every output field: the declared inputs overlaid with what the API holds for the device."""
    return overlay(inputs, {key: value for key, value in device.items() if key not in ID_FIELDS})


def wants_tracebacks(argv: list[str], env: Mapping[str, str]) -> bool:
    """Tracebacks only on request: CHEKT_TRACEBACKS=1, or `pulumi ... -v=N --logflow` (the engine then
    starts the provider with ``-v=N``)."""
    if env.get(TRACEBACKS_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return True
    return any(argument.startswith("-v=") and argument != "-v=0" for argument in argv)


PROVIDER_SERVER_MODULE = "pulumi.dynamic.__main__"


def in_provider_server() -> bool:
    """True in the process the engine starts as ``python -m pulumi.dynamic`` (not in a program or test)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == PROVIDER_SERVER_MODULE


def quiet_tracebacks(argv: list[str], env: Mapping[str, str]) -> None:
    """Make a failed device one line in `pulumi up` output instead of a ~48-line Python traceback.

    The SDK's provider server reports an exception as ``traceback.format_exc()``
    (``_abort_with_traceback`` in ``pulumi/dynamic/__main__.py``); Python's documented
    ``sys.tracebacklimit = 0`` reduces that to ``ExceptionType: message``, whose message already says
    what, why, the status and the trace id. It is process-wide, so it is set only in the provider
    server's own process (a program needs stack traces: the SDK reads them to register resources).
    """
    if in_provider_server() and not wants_tracebacks(argv, env):
        sys.tracebacklimit = 0


class RuntimeProvider(ResourceProvider):
    """A dynamic provider holding the process's shared ``ProviderRuntime`` (never pickled)."""

    _runtime: ProviderRuntime | None = None
    _runtime_lock = threading.Lock()

    def __getstate__(self) -> None:
        """Nothing of an instance is ever pickled into state (see the module docstring)."""
        return None

    @property
    def runtime(self) -> ProviderRuntime:
        """Set by ``configure``; from the environment alone when configure never ran (unit tests)."""
        with self._runtime_lock:
            if self._runtime is None:
                self._runtime = runtime_for(ProviderSettings.resolve({}, os.environ))
            return self._runtime

    def configure(self, req: ConfigureRequest) -> None:
        quiet_tracebacks(sys.argv, os.environ)
        settings = ProviderSettings.from_config(req.config.get, os.environ)
        with self._runtime_lock:
            self._runtime = runtime_for(settings)

    def finished(self, site: tuple[int, int], write: Write) -> Write:
        """``write`` if it succeeded; its error (after the site's successes were collected) if not."""
        if write.state is not State.DONE:
            self.runtime.ledger.wait_to_report_failure(site)
            error = write.error or DeviceOperationError(
                f"{write.kind.value} of device {write.external_id!r} failed"
            )
            raise error from None
        return write


class DeviceProvider(RuntimeProvider):
    """Maps the Device resource's lifecycle onto the CHeKT bulk endpoints, coalescing per site."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        normalized = normalize(news)
        inputs = {key: value for key, value in normalized.items() if key in INPUT_FIELDS}
        failures = [
            CheckFailure(key, f"unknown property {key!r}") for key in sorted(set(normalized) - set(inputs))
        ]
        failures += [
            CheckFailure(p.field or "inputs", f"{p.field}: {p.message}") for p in input_problems(inputs)
        ]
        return CheckResult(inputs, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        before, after = comparable(olds), comparable(news)
        changed = (
            []
            if before == after
            else sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        )
        replaces = [key for key in changed if key in REPLACE_FIELDS]
        if changed and id_.isdigit() and UNKNOWN not in after.values():
            # Remembered for the writes of this run: a zone swap is resolved, not refused.
            plan = Plan(int(id_), before, after, replace=bool(replaces))
            self.runtime.plans.record(_site(after), plan)
        # Outputs an in-place update cannot change (updated_at and the updatable fields can).
        stables = (
            [] if replaces else [*STABLE_ON_UPDATE, *[key for key in REPLACE_FIELDS if key not in changed]]
        )
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=stables,
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = normalize(props)
        site = _site(inputs)
        write = self.runtime.ledger.take_write(site, inputs)
        if write is None:
            with self.runtime.workers.busy():
                write = self.runtime.site(site).devices.create(inputs)
        write = self.finished(site, write)
        assert write.device is not None
        device_id = write.device[DEVICE_ID]
        if write.adopted:
            engine_log.warn(
                f"adopted existing device {inputs[EXTERNAL_ID]!r} (device_id {device_id}) "
                "instead of creating it",
                engine_log.calling_urn(),
            )
        return CreateResult(str(device_id), outputs(inputs, write.device))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = normalize(news)
        site = _site(inputs)
        write = self.runtime.ledger.take_write(site, inputs, device_id=int(id_))
        if write is None:
            with self.runtime.workers.busy():
                write = self.runtime.site(site).devices.update(int(id_), olds, inputs)
        write = self.finished(site, write)
        assert write.device is not None
        return UpdateResult(outputs(inputs, write.device))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        external_id = str(props.get(EXTERNAL_ID) or id_)
        site = _site(props)
        write = self.runtime.ledger.take_delete(site, int(id_))
        if write is None:
            with self.runtime.workers.busy():
                write = self.runtime.site(site).devices.delete(int(id_), external_id)
        self.finished(site, write)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        snapshot = self.runtime.snapshot(_site(props))
        try:
            snapshot.ensure(READ_MAX_AGE_SECONDS, as_listed=True)
        except ChektNotFound:
            return ReadResult(None, {})  # the site is gone, and its devices with it
        device = snapshot.get(int(id_)) if id_.isdigit() else None
        if device is None:
            return ReadResult(None, {})  # deleted out of band: the engine drops it from state
        inputs = {key: props.get(key) for key in INPUT_FIELDS}
        return ReadResult(id_, outputs(inputs, device))
