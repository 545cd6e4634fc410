"""``schema``: the site-file JSON Schema as one self-contained file, for editors and for projects.

The packaged ``site.schema.json`` refers to ``common.schema.json`` beside it, which only resolves
inside the installed package, at a path that differs on every machine. ``chekt-devices init``
therefore writes this bundled copy into the project (``schemas/site.schema.json``, committed with
the site files), and site files point at it by a relative path that is the same on every clone.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from pulumi_chekt.cli.common import EXIT_OK
from pulumi_chekt.contract import schema, schema_dir

SITE_SCHEMA = "site"
PROJECT_SCHEMA_PATH = Path("schemas") / "site.schema.json"
"""Where ``init`` puts the bundled schema, relative to the folder holding Pulumi.yaml."""


def _file_stem(name: str) -> str:
    return name.removesuffix(".json").removesuffix(".schema")


def _local_key(file: str, pointer: str) -> str:
    """The ``$defs`` key that stands for ``file#pointer`` in the bundle, e.g. ``common.zone_number``."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]
    tail = parts[-1] if parts and parts[:-1] == ["$defs"] else ".".join(parts)
    return ".".join(filter(None, (_file_stem(file), tail)))


def _resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in (p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p):
        node = node[part]
    return node


def bundled(name: str = SITE_SCHEMA) -> dict[str, Any]:
    """Schema ``name`` with every reference to a sibling schema file copied into its own ``$defs``,
    so the document validates the same with no other file present."""
    root_file = f"{name}.schema.json"
    document = copy.deepcopy(schema(name))
    defs: dict[str, Any] = document.setdefault("$defs", {})
    copied: dict[str, Any] = {}  # added to $defs at the end, so each copy is walked once, with its own base
    pending: list[tuple[Any, str]] = [(document, root_file)]
    while pending:
        node, base = pending.pop()
        if isinstance(node, list):
            pending += [(item, base) for item in node]
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            file, _, pointer = ref.partition("#")
            file = file or base
            if file != root_file:
                key = _local_key(file, pointer)
                node["$ref"] = f"#/$defs/{key.replace('~', '~0').replace('/', '~1')}"
                if key not in copied:
                    if key in defs:
                        raise ValueError(f"cannot bundle {root_file}: $defs/{key} already exists")
                    target = copy.deepcopy(_resolve_pointer(schema(_file_stem(file)), pointer))
                    if isinstance(target, dict):
                        target.pop("$id", None)
                        target.pop("$schema", None)
                    copied[key] = target
                    pending.append((target, file))
        pending += [(value, base) for key, value in node.items() if key != "$ref"]
    defs.update(sorted(copied.items()))
    return document


def bundled_text(name: str = SITE_SCHEMA) -> str:
    """The bundled schema as written to files and stdout (stable key order, final newline)."""
    return json.dumps(bundled(name), indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.path:
        print(schema_dir() / f"{SITE_SCHEMA}.schema.json")
    else:
        sys.stdout.write(bundled_text())
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the site-file JSON Schema (self-contained)",
        description=(
            "Print the JSON Schema of site files as one self-contained document, e.g. "
            f"`chekt-devices schema > {PROJECT_SCHEMA_PATH.as_posix()}` to refresh the copy that `init` "
            "wrote after upgrading pulumi-chekt. Editors (yaml-language-server) use it through a "
            "`# yaml-language-server: $schema=../schemas/site.schema.json` first line."
        ),
    )
    parser.add_argument(
        "--path",
        action="store_true",
        help="print the installed schema file's path instead (it refers to sibling files; "
        "the path differs per machine, so do not commit it)",
    )
    parser.set_defaults(func=run)
