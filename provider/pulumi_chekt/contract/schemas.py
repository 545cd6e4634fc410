"""Load the JSON Schemas from ``schemas/`` so that no component restates a rule by hand.

The schemas live at the top of the repository (the single source of truth). A built wheel carries
a copy inside the package (``pulumi_chekt/schemas``); an editable install reads the repository's
folder directly.

Validators are built once per process from a *bundled* copy of each schema: every ``$ref`` replaced
by what it points at. jsonschema resolves a ``$ref`` through the registry on every visit, which made
validating a site file three to four times slower than the bundled copy does; the rules are the same.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

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


def ecma_pattern(pattern: str) -> str:
    """``pattern`` for Python's ``re`` with ECMA-262 semantics for a final ``$`` (the end of the string):
    Python's ``$`` also matches before a trailing newline, which would let "a" + newline pass a pattern
    that ends in ``$``."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


@cache
def _strict_class() -> Any:
    """Draft 2020-12 with ECMA ``pattern``; jsonschema is imported only when a full report is needed."""
    from jsonschema import Draft202012Validator, validators  # noqa: PLC0415
    from jsonschema.exceptions import ValidationError  # noqa: PLC0415

    def pattern(validator: Any, value: str, instance: Any, _schema: dict[str, Any]) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not re.search(ecma_pattern(value), instance):
            yield ValidationError("does not match the expected format")

    return validators.extend(Draft202012Validator, {"pattern": pattern})  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class _Compiled:
    schema: dict[str, Any]
    definitions: dict[int, str]


@cache
def _bundled(name: str, definition: str | None = None) -> _Compiled:
    bundler = _Bundler()
    root = schema(name)
    target = root if definition is None else root["$defs"][definition]
    bundled = bundler.bundle(target, name)
    if definition is not None:
        bundler.definitions.setdefault(id(bundled), definition)
    bundled["$schema"] = root["$schema"]
    return _Compiled(bundled, bundler.definitions)


@cache
def _validator(name: str, definition: str | None = None) -> Draft202012Validator:
    strict: Draft202012Validator = _strict_class()(_bundled(name, definition).schema)
    return strict


def validator(name: str) -> Draft202012Validator:
    """A jsonschema validator for ``<name>.schema.json`` (references resolved), built once per process:
    the authority on what is valid, and the source of every problem report."""
    return _validator(name, None)


def bundled_schema(name: str) -> dict[str, Any]:
    """A copy of ``<name>.schema.json`` with every ``$ref`` replaced by what it points at: each field's
    whole rule in one place (its type, its description), for code generated from the schemas."""
    return copy.deepcopy(_bundled(name, None).schema)


def definition_of(name: str, subschema: Any) -> str | None:
    """The ``$defs`` name a (bundled) subschema of ``name`` was copied from, if any."""
    return _bundled(name, None).definitions.get(id(subschema))


# --- The fast path -------------------------------------------------------------------------------
# jsonschema walks a site file at about 2 ms; fastjsonschema turns the same bundled schema into Python
# code that checks it in about 0.15 ms. It is used only to say "valid" quickly: when it says invalid,
# or cannot take a schema, jsonschema decides and explains. It implements draft 7, whose meaning for
# every keyword below is the same as 2020-12's; a schema using any other keyword gets no fast path,
# and patterns get the same ECMA ``$`` as above. tests/contract checks the two agree.

_FAST_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "minItems", "maxItems", "required", "properties", "additionalProperties", "items",
        "oneOf", "anyOf", "allOf", "not", "if", "then", "else",
        "title", "description", "patternErrorMessage",
    }
)  # fmt: skip


def _for_fast_path(node: Any) -> Any:
    """A copy of a bundled schema for fastjsonschema, or None when it uses a keyword not listed above."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict) or not set(node) <= _FAST_KEYWORDS | {"$schema"}:
        return None
    copied: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$schema":
            continue
        if key == "properties":
            inner = {name: _for_fast_path(sub) for name, sub in value.items()}
            if any(sub is None for sub in inner.values()):
                return None
            copied[key] = inner
        elif key in ("oneOf", "anyOf", "allOf"):
            branches = [_for_fast_path(sub) for sub in value]
            if any(sub is None for sub in branches):
                return None
            copied[key] = branches
        elif key in ("items", "additionalProperties", "not", "if", "then", "else"):
            sub = _for_fast_path(value)
            if sub is None:
                return None
            copied[key] = sub
        elif key == "pattern":
            copied[key] = ecma_pattern(value)
        else:
            copied[key] = value
    return copied


@cache
def _fast(name: str, definition: str | None = None) -> Callable[[Any], Any] | None:
    prepared = _for_fast_path(_bundled(name, definition).schema)
    if prepared is None:
        return None
    import fastjsonschema  # noqa: PLC0415

    check: Callable[[Any], Any] = fastjsonschema.compile(prepared)
    return check


def passes_fast_check(name: str, instance: Any, definition: str | None = None) -> bool:
    """True only when the fast check accepts ``instance``; False means "ask jsonschema"."""
    check = _fast(name, definition)
    if check is None:
        return False
    try:
        check(instance)
    except Exception:  # JsonSchemaException, or anything the generated code trips on
        return False
    return True


def conforms(name: str, definition: str, value: Any) -> bool:
    """Whether ``value`` satisfies ``$defs/<definition>`` of schema ``name`` (e.g. a zone list)."""
    return passes_fast_check(name, value, definition) or bool(_validator(name, definition).is_valid(value))
