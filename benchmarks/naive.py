"""What a straightforward per-device provider costs: the floor's program shape, one HTTP request per step.

The same ``SiteDevices`` component per site file and ``Device`` child per device as the floor
(benchmarks/floor.py), with a dynamic provider that does what a first provider for this API would do:
each create is one bulk create of one item, each update one bulk update of one item (the changed
fields), each delete one bulk delete of one item, each read one GET of the device. No site snapshot,
no coalescing, no adoption, no zone ordering: the engine's own parallelism (four calls at a time per
provider process) is all it has. Requests go through the project's ``ChektClient`` (the same auth,
retries and validation), so the difference from the project is the write path alone.

The provider process reads the API's address and credentials from the environment (``CHEKT_BASE_URL``,
``CHEKT_TOKEN_URL``, ``CHEKT_CLIENT_ID``, ``CHEKT_CLIENT_SECRET``), set by engine_bench for the
``naive`` variant; it makes one client per process. The project folder's ``__main__.py`` is
``from benchmarks.naive import main; main()``, with the repo root on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from benchmarks import floor
from pulumi_chekt.api import ChektClient, ChektNotFound
from pulumi_chekt.api.models import BulkResult
from pulumi_chekt.resources.fields import API_ONLY_FIELDS, INPUT_FIELDS, UPDATABLE_FIELDS, api_item

_client: ChektClient | None = None
_client_lock = threading.Lock()


def client() -> ChektClient:
    """The provider process's one client (one token for every call), made on first use."""
    global _client  # noqa: PLW0603 (one client per provider process, never pickled)
    with _client_lock:
        if _client is None:
            _client = ChektClient.from_credentials(
                base_url=os.environ["CHEKT_BASE_URL"],
                token_url=os.environ.get("CHEKT_TOKEN_URL"),
                client_id=os.environ["CHEKT_CLIENT_ID"],
                client_secret=os.environ["CHEKT_CLIENT_SECRET"],
            )
        return _client


def _only(result: BulkResult, what: str) -> dict[str, Any]:
    """The one item's device; its failure (status and message) as an error."""
    [item] = result.items
    if not item.is_successful:
        raise RuntimeError(f"{what} failed (status {item.status_code}): {item.error_message}")
    return item.device or {}


def _where(props: dict[str, Any]) -> tuple[int, int]:
    return int(props["dealer_id"]), int(props["site_id"])


class NaiveProvider(floor.FloorProvider):
    """check and diff as the floor (no API call); every other step is exactly one request."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = floor.inputs_of(props)
        device = _only(client().create_devices(*_where(props), [api_item(inputs)]), "create")
        outs = {**inputs, **{key: device.get(key) for key in API_ONLY_FIELDS}}
        return CreateResult(str(device["device_id"]), outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = floor.inputs_of(news)
        changed = {key: inputs.get(key) for key in UPDATABLE_FIELDS if olds.get(key) != inputs.get(key)}
        item = {"device_id": int(olds["device_id"]), **{k: v for k, v in changed.items() if v is not None}}
        device = _only(client().update_devices(*_where(news), [item]), "update")
        kept = {key: olds.get(key) for key in API_ONLY_FIELDS}
        return UpdateResult({**inputs, **kept, "updated_at": device.get("updated_at", kept["updated_at"])})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            device = client().get_device(*_where(props), int(id_))
        except ChektNotFound:
            return ReadResult(None, {})  # gone: the engine drops it from state
        live = {key: device.get(key) for key in (*INPUT_FIELDS, *API_ONLY_FIELDS) if key in device}
        return ReadResult(id_, {**props, **live})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        result = client().delete_devices(*_where(props), [int(id_)])
        [item] = result.items
        if not item.is_successful and item.status_code != 404:  # already gone counts as deleted
            raise RuntimeError(f"delete failed (status {item.status_code}): {item.error_message}")


class NaiveDevice(Resource, module="naive", name="Device"):
    """The same inputs and outputs as ``pulumi_chekt.Device`` (and the floor's device)."""

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions) -> None:
        full: dict[str, Any] = dict.fromkeys((*INPUT_FIELDS, *API_ONLY_FIELDS))
        full.update(props)
        super().__init__(NaiveProvider(), name, full, opts)


class NaiveSite(floor.FloorSite):
    TYPE = "naive:index:SiteDevices"
    DEVICE = NaiveDevice


def main() -> None:
    floor.main(NaiveSite)
