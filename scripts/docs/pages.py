"""The generated parts of the docs pages, so that no reference is copied by hand.

A page holds a generated part between two markers::

    <!-- generated: site-fields (scripts/docs/pages.py; do not edit) -->
    ...
    <!-- end generated -->

``python -m scripts.docs.pages`` (``make docs-pages``) rewrites every such part from its source;
``--check`` changes nothing and fails, naming the page, when a part is not what its source gives
(``tests/docs`` runs it on every ``make test``). The parts:

- ``site-fields``: the site file's fields, from ``schemas/site.schema.json`` and ``common.schema.json``;
- ``device-inputs``: the ``Device`` resource's inputs, from ``schemas/device-inputs.schema.json``;
- ``summary-example``: what the real ``chekt-devices summarize --live`` prints for the captured preview
  ``scripts/docs/summary-preview.json``, against a local API server holding the captured live site
  ``scripts/docs/summary-live.json`` (see ``capture_summary_fixture.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient
from pulumi_chekt.contract import schema
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HERE = Path(__file__).resolve().parent
PREVIEW_FIXTURE = HERE / "summary-preview.json"
LIVE_FIXTURE = HERE / "summary-live.json"

BLOCK = re.compile(
    r"(?P<head><!-- generated: (?P<name>[\w-]+) [^\n]*-->\n)(?P<body>.*?)(?P<tail><!-- end generated -->)",
    re.S,
)

# ---- schemas -> field tables ---------------------------------------------------------------------------


Node = tuple[dict[str, Any], Mapping[str, Any]]
"""A schema node and the document its local ``$ref``s point into."""


def resolved(node: Mapping[str, Any], document: Mapping[str, Any]) -> Node:
    """``node`` with its ``$ref`` (to common.schema.json or within ``document``) followed."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return dict(node), document
    file, _, pointer = ref.partition("#")
    home: Mapping[str, Any] = schema(file.removesuffix(".schema.json")) if file else document
    target: Any = home
    for part in pointer.strip("/").split("/"):
        target = target[part]
    found, where = resolved(target, home)
    return {**found, **{k: v for k, v in node.items() if k != "$ref"}}, where


def kind(node: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """A field's type in a few words, from the schema's type, enum, bounds and alternatives."""
    node, document = resolved(node, document)
    if "oneOf" in node:
        return ", or ".join(kind(alternative, document) for alternative in node["oneOf"])
    if "allOf" in node:  # every part holds: the first says what the value is, the others narrow it
        return kind(node["allOf"][0], document)
    if "enum" in node:
        return " or ".join(f"`{value}`" for value in node["enum"])
    type_ = node.get("type")
    if type_ == "integer":
        return f"integer ≥ {node['minimum']}" if "minimum" in node else "integer"
    if type_ == "string":
        return f"string (at most {node['maxLength']} characters)" if "maxLength" in node else "string"
    if type_ == "array":
        return f"list of {plural(kind(node.get('items', {}), document))}"
    if type_ == "object":
        return "mapping (below)"
    return str(type_)


def plural(text: str) -> str:
    """``string`` -> ``strings``; a device entry -> ``devices (below)``."""
    if text.startswith("mapping"):
        return "devices (below)"
    if text.startswith("string"):
        return "strings" + text.removeprefix("string")
    return text


def describe(node: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    node, _ = resolved(node, document)
    text = str(node.get("description", "")) or ("See below." if node.get("type") == "array" else "")
    return text.replace("|", "\\|")


def table(
    properties: Mapping[str, Any],
    required: Iterable[str],
    document: Mapping[str, Any],
    notes: Mapping[str, str],
) -> list[str]:
    needed = set(required)
    lines = ["| Field | Type | Required | Meaning |", "|---|---|---|---|"]
    for name, node in properties.items():
        must = notes.get(name) or ("yes" if name in needed else "")
        lines.append(f"| `{name}` | {kind(node, document)} | {must} | {describe(node, document)} |")
    return lines


def site_fields() -> str:
    """The site file's three levels: the file, ``defaults``, each entry of ``devices``."""
    site = schema("site")
    device = site["$defs"]["device"]
    defaults = site["properties"]["defaults"]
    # The if/else of the schema: a field defaults may give is required of a device only without it.
    defaulted = site["if"]["properties"]["defaults"]["required"]
    unless = {name: f"yes, unless `defaults.{name}` is set" for name in defaulted}
    lines = [
        f"**The file**: {describe(site, site)}",
        "",
        *table(site["properties"], site["required"], site, {}),
        "",
        f"**`defaults`**: {describe(defaults, site)}",
        "",
        *table(defaults["properties"], [], site, {}),
        "",
        "**Each entry of `devices`**",
        "",
        *table(device["properties"], [*device["required"], *defaulted], site, unless),
    ]
    return "\n".join(lines) + "\n"


def device_inputs() -> str:
    """``DeviceArgs``: the Device resource's inputs (as the provider checks them)."""
    inputs = schema("device-inputs")
    return "\n".join(table(inputs["properties"], inputs["required"], inputs, {})) + "\n"


# ---- the example pull-request summary -------------------------------------------------------------------

DOCS_CLIENT = ("docs-client", "docs-client-secret")  # a throwaway in-process server's client


def seed_live(server: LocalServer, live: list[dict[str, Any]], dealer: int, site: int) -> None:
    """The captured live site, with the device ids it had: devices are seeded in id order, and an id
    the site no longer held is taken by a stand-in that is deleted again (ids are never reused)."""
    devices = sorted(live, key=lambda d: int(d["device_id"]))
    fields = ("external_device_id", "device_type", "zone_number", "additional_zone_numbers", "name")
    fields += ("mac", "manufacturer", "model", "serial_number", "registered_by_partner")
    stand_ins: list[int] = []
    next_id = 1
    for device in devices:
        while next_id < int(device["device_id"]):
            [made] = server.admin.seed(
                [
                    {
                        "dealer_id": dealer,
                        "sites": [
                            {
                                "site_id": site,
                                "devices": [
                                    {
                                        "external_device_id": f"stand-in-{next_id}",
                                        "device_type": "camera",
                                        "zone_number": f"stand-in-{next_id}",
                                    }
                                ],
                            }
                        ],
                    }
                ]
            )["devices"]
            stand_ins.append(int(made["device_id"]))
            next_id = int(made["device_id"]) + 1
        entry = {key: device[key] for key in fields if device.get(key) not in (None, "")}
        [made] = server.admin.seed([{"dealer_id": dealer, "sites": [{"site_id": site, "devices": [entry]}]}])[
            "devices"
        ]
        if made["device_id"] != device["device_id"]:
            raise RuntimeError(
                f"the local server gave {device['external_device_id']} device_id {made['device_id']}, "
                f"not {device['device_id']} as captured: re-capture (make docs-fixture)"
            )
        next_id = int(made["device_id"]) + 1
    if stand_ins:
        client_id, secret = DOCS_CLIENT
        with ChektClient.from_credentials(
            base_url=server.url, token_url=server.token_url, client_id=client_id, client_secret=secret
        ) as api:
            api.delete_devices(dealer, site, stand_ins)


def summary_markdown() -> str:
    """``chekt-devices summarize --live`` of the captured preview, run as a user runs it."""
    live: list[dict[str, Any]] = json.loads(LIVE_FIXTURE.read_text(encoding="utf-8"))
    dealer, site = 2, 3
    client_id, secret = DOCS_CLIENT
    config = ServerConfig(clients=[ClientConfig(client_id, secret, "adc")], dealers={dealer: [site]})
    with LocalServer(config) as server:
        seed_live(server, live, dealer, site)
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHEKT_")}
        env.update(
            CHEKT_BASE_URL=server.url,
            CHEKT_TOKEN_URL=server.token_url,
            CHEKT_CLIENT_ID=client_id,
            CHEKT_CLIENT_SECRET=secret,
        )
        done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
            [sys.executable, "-m", "pulumi_chekt.cli", "summarize", "--live", str(PREVIEW_FIXTURE)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chekt-devices summarize failed ({done.returncode}): {done.stderr}")
    return done.stdout


def summary_example() -> str:
    """The summary as the pull request shows it, then its markdown."""
    text = summary_markdown()
    indented = "".join(f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True))
    return (
        '!!! example "The comment on the pull request"\n\n'
        f"{indented}\n"
        '??? note "Its markdown (`chekt-devices summarize --live`)"\n\n'
        "    ```markdown\n"
        f"{indented}"
        "    ```\n"
    )


GENERATORS: dict[str, Callable[[], str]] = {
    "site-fields": site_fields,
    "device-inputs": device_inputs,
    "summary-example": summary_example,
}

# ---- pages -------------------------------------------------------------------------------------------------


def regenerated(text: str, cache: dict[str, str]) -> str:
    """The page's text with every generated part made again from its source."""

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise KeyError(f"unknown generated part {name!r} (known: {', '.join(GENERATORS)})")
        if name not in cache:
            cache[name] = GENERATORS[name]()
        return match.group("head") + cache[name] + match.group("tail")

    return BLOCK.sub(fill, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.docs.pages", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a page is stale")
    args = parser.parse_args(argv)
    cache: dict[str, str] = {}
    stale = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        new = regenerated(text, cache)
        if new != text:
            stale.append(page.relative_to(REPO))
            if not args.check:
                page.write_text(new, encoding="utf-8")
    verb = "stale (run `make docs-pages`)" if args.check else "rewritten"
    for page in stale:
        print(f"{page}: {verb}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
