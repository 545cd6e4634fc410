"""The engine's floor: the project's resource shape with a dynamic provider that makes no API call.

One ``floor:index:SiteDevices`` component per site file and one ``floor:Device`` child per device,
with the same inputs (every ``DeviceArgs`` field) and outputs (plus device_id, registered_by_partner,
created_at, updated_at) as ``pulumi_chekt.Device``. The provider answers from its inputs alone, so a
run of this program costs what the Pulumi engine, the language host and the SDK's dynamic-provider
server cost for that many resources: the floor under which no provider can go.

Not in the floor, on purpose (they are the project's own costs the benchmark should show): validating
site files against the schema, the per-site stack outputs and the component's registered outputs.
To measure what those cost, ``CHEKT_FLOOR_EXTRAS`` (set by the variants ``floor+summary``,
``floor+outputs`` of engine_bench) adds them back: ``summary`` exports per site what the root
program's ``_summary`` exports (an ``Output.all(...).apply`` per device), ``outputs`` registers the
component's ``device_ids`` as ``SiteDevices`` does. ``slow`` makes each create, update and delete of
the floor's provider take ``SLOW_WRITE_SECONDS`` (no work, a sleep), to tell the program's own costs
from costs that grow with how long the provider takes.

The project folder's ``__main__.py`` is ``from benchmarks.floor import main; main()``, with the repo
root on ``PYTHONPATH`` so the provider pickles by reference (``benchmarks.floor.FloorProvider``).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from pulumi_chekt.resources.fields import API_ONLY_FIELDS, INPUT_FIELDS, REPLACE_FIELDS

EXTRAS_ENV = "CHEKT_FLOOR_EXTRAS"
SLOW_WRITE_SECONDS = 0.1
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _extras() -> set[str]:
    return {part for part in os.environ.get(EXTRAS_ENV, "").split(",") if part}


def _write_delay() -> None:
    if "slow" in _extras():
        time.sleep(SLOW_WRITE_SECONDS)


def inputs_of(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key in INPUT_FIELDS and value is not None}


class FloorProvider(ResourceProvider):
    """Answers every call from its arguments; device ids are unique within one provider process."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return super().check(_olds, inputs_of(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUT_FIELDS if olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_FIELDS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _write_delay()
        with _ids_lock:
            device_id = next(_ids)
        stamp = _now()
        outs = {
            **inputs_of(props),
            "device_id": device_id,
            "registered_by_partner": "adc",
            "created_at": stamp,
            "updated_at": stamp,
        }
        return CreateResult(str(device_id), outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _write_delay()
        kept = {key: olds.get(key) for key in API_ONLY_FIELDS}
        return UpdateResult({**inputs_of(news), **kept, "updated_at": _now()})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        _write_delay()


class FloorDevice(Resource, module="floor", name="Device"):
    """The same inputs and outputs as ``pulumi_chekt.Device``."""

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        full: dict[str, Any] = dict.fromkeys((*INPUT_FIELDS, *API_ONLY_FIELDS))
        full.update(props)
        super().__init__(FloorProvider(), name, full, opts)


class FloorSite(pulumi.ComponentResource):
    """One site's devices, named as the project names them (``dealer/site/external_id``).

    ``TYPE`` and ``DEVICE`` are what another provider with the same program shape (benchmarks/naive.py)
    replaces."""

    TYPE = "floor:index:SiteDevices"
    DEVICE: Callable[[str, dict[str, Any], pulumi.ResourceOptions], pulumi.CustomResource] = FloorDevice

    def __init__(self, site: dict[str, Any], extras: set[str]) -> None:
        dealer_id, site_id = int(site["dealer_id"]), int(site["site_id"])
        super().__init__(self.TYPE, f"site-{dealer_id}-{site_id}", {}, None)
        self.devices: dict[str, Any] = {}
        for entry in site["devices"]:
            props = {**entry, "dealer_id": dealer_id, "site_id": site_id}
            self.devices[entry["external_device_id"]] = self.DEVICE(
                f"{dealer_id}/{site_id}/{entry['external_device_id']}",
                props,
                pulumi.ResourceOptions(parent=self),
            )
        if "outputs" in extras:
            self.register_outputs({"device_ids": {key: d.device_id for key, d in self.devices.items()}})
        else:
            self.register_outputs({})


def _summary(site: FloorSite) -> pulumi.Output[dict[str, Any]]:
    """The root program's per-site stack output, built the same way."""
    devices = {
        key: pulumi.Output.all(d.device_id, d.device_type, d.zone_number).apply(
            lambda v: {"device_id": v[0], "device_type": v[1], "zone_number": v[2]}
        )
        for key, d in site.devices.items()
    }
    return pulumi.Output.from_input({"device_count": len(devices), "devices": devices})


def main(site_type: type[FloorSite] = FloorSite) -> None:
    """Every ``sites/*.yaml`` of the project folder, read without validation."""
    root = Path(pulumi.get_root_directory() or ".")
    extras = _extras()
    files = sorted((root / "sites").glob("*.yaml"))
    sites = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in files]
    for site in sites:
        component = site_type(site, extras)
        if "summary" in extras:
            pulumi.export(f"site-{site['dealer_id']}-{site['site_id']}", _summary(component))
    pulumi.export("site_count", len(sites))
    pulumi.export("device_count", sum(len(site["devices"]) for site in sites))
