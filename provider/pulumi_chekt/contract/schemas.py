"""Load the JSON Schemas from ``schemas/`` so that no component restates a rule by hand.

The schemas live at the top of the repository (the single source of truth). A built wheel carries
a copy inside the package (``pulumi_chekt/schemas``); an editable install reads the repository's
folder directly.

Validators are built once per process from a *bundled* copy of each schema: every ``$ref`` replaced
by what it points at. jsonschema resolves a ``$ref`` through the registry on every visit, which made
validating a site file three to four times slower than the bundled copy does; the rules are the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_SUFFIX = ".schema.json"


@cache
def schema_dir() -> Path:
    """The folder holding the ``*.schema.json`` files (packaged copy first, then the repository's)."""
    for candidate in (_PACKAGE_ROOT / "schemas", _PACKAGE_ROOT.parent.parent / "schemas"):
        if (candidate / "common.schema.json").is_file():
            return candidate
    raise FileNotFoundError("pulumi_chekt: schema folder not found (expected schemas/common.schema.json)")


@cache
def schema(name: str) -> dict[str, Any]:
    """The parsed schema document ``<name>.schema.json``, e.g. ``schema("device-create")``."""
    contents: dict[str, Any] = json.loads((schema_dir() / f"{name}{_SUFFIX}").read_text(encoding="utf-8"))
    return contents


class _Bundler:
    """Inlines every ``$ref`` (to a sibling file or within one) and remembers, for each inlined copy of a
    ``common.schema.json`` definition, the definition's name: errors can then say which kind of value
    failed (a zone number, say) without a list of field names kept in Python."""

    def __init__(self) -> None:
        self.definitions: dict[int, str] = {}

    def bundle(self, node: Any, document: str, trail: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self.bundle(item, document, trail) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in trail:
                raise ValueError(f"recursive $ref {ref} in {document}{_SUFFIX}")
            target_document, _, fragment = ref.partition("#")
            target_name = target_document.removesuffix(_SUFFIX) if target_document else document
            target: Any = schema(target_name)
            for part in (p for p in fragment.split("/") if p):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            inlined = self.bundle(target, target_name, (*trail, ref))
            if fragment.startswith("/$defs/") and fragment.count("/") == 2:
                self.definitions.setdefault(id(inlined), fragment.rsplit("/", 1)[1])
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            if not siblings:
                return inlined
            return {**self.bundle(siblings, document, trail), "allOf": [inlined]}
        return {
            key: value if key in ("$defs", "enum", "const") else self.bundle(value, document, trail)
            for key, value in node.items()
            if key not in ("$id", "$defs")
        }


def _ecma_pattern(
    validator: Draft202012Validator, pattern: str, instance: Any, _schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``pattern`` with ECMA-262 semantics for a final ``$``: the end of the string. Python's ``$`` also
    matches before a trailing newline, which would let "001\n" pass a pattern that ends in ``$``."""
    if not validator.is_type(instance, "string"):
        return
    python_pattern = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
    if not re.search(python_pattern, instance):
        yield ValidationError("does not match the expected format")


_StrictValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class _Compiled:
    validator: Draft202012Validator
    definitions: dict[int, str]


@cache
def _compiled(name: str, definition: str | None = None) -> _Compiled:
    bundler = _Bundler()
    root = schema(name)
    target = root if definition is None else root["$defs"][definition]
    bundled = bundler.bundle(target, name)
    if definition is not None:
        bundler.definitions.setdefault(id(bundled), definition)
    bundled["$schema"] = root["$schema"]
    strict: Draft202012Validator = _StrictValidator(bundled)
    return _Compiled(strict, bundler.definitions)


def validator(name: str) -> Draft202012Validator:
    """A validator for ``<name>.schema.json`` (references already resolved), built once per process."""
    return _compiled(name).validator


def definition_of(name: str, subschema: Any) -> str | None:
    """The ``$defs`` name a (bundled) subschema of ``name`` was copied from, if any."""
    return _compiled(name).definitions.get(id(subschema))


def conforms(name: str, definition: str, value: Any) -> bool:
    """Whether ``value`` satisfies ``$defs/<definition>`` of schema ``name`` (e.g. a zone list)."""
    return bool(_compiled(name, definition).validator.is_valid(value))
