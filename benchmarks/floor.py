"""The engine's floor: the project's resource shape with a dynamic provider that makes no API call.

One ``floor:index:SiteDevices`` component per site file and one ``floor:Device`` child per device,
with the same inputs (every ``DeviceArgs`` field) and outputs (plus device_id, registered_by_partner,
created_at, updated_at) as ``pulumi_chekt.Device``. The provider answers from its inputs alone, so a
run of this program costs what the Pulumi engine, the language host and the SDK's dynamic-provider
server cost for that many resources: the floor under which no provider can go.

Not in the floor, on purpose (they are the project's own costs the benchmark should show): validating
site files against the schema, the per-site stack outputs and the component's registered outputs.

The project folder's ``__main__.py`` is ``from benchmarks.floor import main; main()``, with the repo
root on ``PYTHONPATH`` so the provider pickles by reference (``benchmarks.floor.FloorProvider``).
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from pulumi_chekt.resources.fields import API_ONLY_FIELDS, INPUT_FIELDS, REPLACE_FIELDS

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key in INPUT_FIELDS and value is not None}


class FloorProvider(ResourceProvider):
    """Answers every call from its arguments; device ids are unique within one provider process."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return super().check(_olds, _inputs(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUT_FIELDS if olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_FIELDS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with _ids_lock:
            device_id = next(_ids)
        stamp = _now()
        outs = {
            **_inputs(props),
            "device_id": device_id,
            "registered_by_partner": "adc",
            "created_at": stamp,
            "updated_at": stamp,
        }
        return CreateResult(str(device_id), outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        kept = {key: olds.get(key) for key in API_ONLY_FIELDS}
        return UpdateResult({**_inputs(news), **kept, "updated_at": _now()})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class FloorDevice(Resource, module="floor", name="Device"):
    """The same inputs and outputs as ``pulumi_chekt.Device``."""

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        full: dict[str, Any] = dict.fromkeys((*INPUT_FIELDS, *API_ONLY_FIELDS))
        full.update(props)
        super().__init__(FloorProvider(), name, full, opts)


class FloorSite(pulumi.ComponentResource):
    """One site's devices, named as the project names them (``dealer/site/external_id``)."""

    def __init__(self, site: dict[str, Any]) -> None:
        dealer_id, site_id = int(site["dealer_id"]), int(site["site_id"])
        super().__init__("floor:index:SiteDevices", f"site-{dealer_id}-{site_id}", {}, None)
        for entry in site["devices"]:
            props = {**entry, "dealer_id": dealer_id, "site_id": site_id}
            FloorDevice(
                f"{dealer_id}/{site_id}/{entry['external_device_id']}",
                props,
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})


def main() -> None:
    """Every ``sites/*.yaml`` of the project folder, read without validation."""
    root = Path(pulumi.get_root_directory() or ".")
    files = sorted((root / "sites").glob("*.yaml"))
    sites = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in files]
    for site in sites:
        FloorSite(site)
    pulumi.export("site_count", len(sites))
    pulumi.export("device_count", sum(len(site["devices"]) for site in sites))
