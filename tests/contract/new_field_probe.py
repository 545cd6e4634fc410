"""Run by tests/contract/test_device_fields.py in a copy of the package whose schemas declare one more
device field (argv[1]): print, as JSON, which layers carry it end to end. Not a test module itself.

Each check drives a layer the way it runs for real (the local API server over loopback HTTP, the
provider's lifecycle, the CLI's entry point); ``False`` or an error text names a layer that lost it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from pulumi_chekt.api import ChektClient
from pulumi_chekt.cli.__main__ import main as cli_main
from pulumi_chekt.cli.export import check_rendered, render, site_document
from pulumi_chekt.cli.live import adoption_fields
from pulumi_chekt.cli.preview import summarize_preview
from pulumi_chekt.cli.summarize import render as render_summary
from pulumi_chekt.localserver import ApiKeyConfig, LocalServer, ServerConfig
from pulumi_chekt.resources import DeviceArgs, DeviceProvider
from pulumi_chekt.resources.device_types import DeviceOutputs
from pulumi_chekt.resources.fields import update_changes
from pulumi_chekt.site import site_from_mapping

FIELD = sys.argv[1]
KEY = "probe-api-key"
DEVICE_TYPE = "pulumi-python:dynamic/chekt:Device"
BASE = {"dealer_id": 2, "site_id": 3, "device_type": "camera"}


def _preview_update(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The shape of one update step of ``pulumi preview --json``, as tests/cli records it from the CLI."""
    urn = f"urn:pulumi:dev::sites::chekt:index:SiteDevices$pulumi-python:dynamic/chekt:Device::2/3/{old['external_device_id']}"
    return {
        "steps": [
            {
                "op": "update",
                "urn": urn,
                "oldState": {"type": DEVICE_TYPE, "id": "1", "inputs": old, "outputs": old},
                "newState": {"type": DEVICE_TYPE, "inputs": new},
            }
        ],
        "changeSummary": {"update": 1},
    }


def probe(client: ChektClient, provider: DeviceProvider) -> dict[str, Callable[[], bool]]:
    item = {"external_device_id": "via-client", "device_type": "camera", "zone_number": "001", FIELD: "v1"}
    inputs = {**BASE, "external_device_id": "via-provider", "zone_number": "002", FIELD: " v1 "}

    def client_and_local_server() -> bool:
        created = client.create_devices(2, 3, [item]).items[0]
        listed = {d["external_device_id"]: d for d in client.list_devices(2, 3)}
        return created.device is not None and created.device.get(FIELD) == "v1" == listed["via-client"][FIELD]

    def provider_check() -> bool:
        result = provider.check({}, inputs)
        return not result.failures and result.inputs.get(FIELD) == "v1"

    def provider_diff() -> bool:
        result = provider.diff("7", {**inputs, FIELD: "v1"}, {**inputs, FIELD: "v2"})
        return bool(result.changes) and FIELD not in (result.replaces or [])

    def provider_create_update_read() -> bool:
        created = provider.create(provider.check({}, inputs).inputs)
        news = provider.check({}, {**inputs, FIELD: "v2"}).inputs
        updated = provider.update(created.id, created.outs, news)
        live = {d["external_device_id"]: d for d in client.list_devices(2, 3)}["via-provider"]
        read = provider.read(created.id, updated.outs)
        return (created.outs or {}).get(FIELD) == "v1" and (updated.outs or {}).get(FIELD) == "v2" == live[
            FIELD
        ] == (read.outs or {}).get(FIELD)

    def typed_args_and_outputs() -> bool:
        annotations = DeviceOutputs.__annotations__
        return FIELD in DeviceArgs.__dataclass_fields__ and FIELD in annotations

    def site_file() -> bool:
        site = site_from_mapping({"dealer_id": 2, "site_id": 3, "devices": [{**item, FIELD: " v3 "}]})
        return site.devices[0].get(FIELD) == "v3"

    def export() -> bool:
        document = site_document(2, 3, client.list_devices(2, 3))
        exported = {d["external_device_id"]: d for d in document["devices"]}
        text = render(document, "schema.json")
        return exported["via-client"].get(FIELD) == "v1" and not check_rendered(text, document, "x.yaml")

    def summary() -> bool:
        old = {**inputs, FIELD: "v1"}
        changes = summarize_preview(_preview_update(old, {**old, FIELD: "v2"})).changes
        shown = [f.name for change in changes for f in change.fields]
        live = {**item, FIELD: "old"}
        adopted = [f.name for f in adoption_fields(live, {**item, FIELD: "new"})]
        text = render_summary(summarize_preview(_preview_update(old, {**old, FIELD: "v2"})))
        return shown == [FIELD] and adopted == [FIELD] and f"{FIELD}: `v1` → `v2`" in text

    def update_rule() -> bool:
        return update_changes({**item, FIELD: "a"}, {**item, FIELD: "b"}) == {FIELD: "b"}

    def list_json() -> bool:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli_main(["list", "--dealer", "2", "--site", "3", "--format", "json"])
        return status == 0 and all(FIELD in device for device in json.loads(out.getvalue()))

    return {
        "client and local server": client_and_local_server,
        "provider check": provider_check,
        "provider diff": provider_diff,
        "provider create, update, read": provider_create_update_read,
        "DeviceArgs and Device outputs": typed_args_and_outputs,
        "site files": site_file,
        "export": export,
        "summary (summarize, --live)": summary,
        "update rule": update_rule,
        "list --format json": list_json,
    }


def run() -> dict[str, Any]:
    config = ServerConfig(api_keys=[ApiKeyConfig(key=KEY, partner="chekt")], dealers={2: [3]})
    found: dict[str, Any] = {}
    with LocalServer(config) as server:
        os.environ.update({"CHEKT_BASE_URL": server.url, "CHEKT_API_TOKEN": KEY})
        client = ChektClient.from_credentials(base_url=server.url, api_token=KEY)
        provider = DeviceProvider()
        try:
            for layer, check in probe(client, provider).items():
                try:
                    found[layer] = check()
                except Exception:  # reported, not raised: every layer gets its verdict
                    found[layer] = traceback.format_exc(limit=-3)
        finally:
            provider.runtime.close()
            client.close()
    return found


if __name__ == "__main__":
    print(json.dumps(run()))
