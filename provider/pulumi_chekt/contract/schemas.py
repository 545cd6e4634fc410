"""Load the JSON Schemas from ``schemas/`` so that no component restates a rule by hand.

The schemas live at the top of the repository (the single source of truth). A built wheel carries
a copy inside the package (``pulumi_chekt/schemas``); an editable install reads the repository's
folder directly.
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
from referencing import Registry, Resource

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@cache
def schema_dir() -> Path:
    """The folder holding the ``*.schema.json`` files (packaged copy first, then the repository's)."""
    for candidate in (_PACKAGE_ROOT / "schemas", _PACKAGE_ROOT.parent.parent / "schemas"):
        if (candidate / "common.schema.json").is_file():
            return candidate
    raise FileNotFoundError("pulumi_chekt: schema folder not found (expected schemas/common.schema.json)")


@cache
def _registry() -> Registry[Any]:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in sorted(schema_dir().glob("*.schema.json"))
    ]
    return Registry().with_resources(resources)


@cache
def schema(name: str) -> dict[str, Any]:
    """The parsed schema document ``<name>.schema.json``, e.g. ``schema("device-create")``."""
    contents: dict[str, Any] = _registry().contents(f"{name}.schema.json")
    return contents


def _ecma_pattern(
    validator: Draft202012Validator, pattern: str, instance: Any, _schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``pattern`` with ECMA-262 semantics for a final ``$``: the end of the string. Python's ``$`` also
    matches before a trailing newline, which would let "001\n" pass as a zone number."""
    if not validator.is_type(instance, "string"):
        return
    python_pattern = (
        pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
    )
    if not re.search(python_pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_StrictValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for ``<name>.schema.json`` that resolves references to the sibling schemas."""
    strict: Draft202012Validator = _StrictValidator(schema(name), registry=_registry())
    return strict


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation, located by JSON pointer so it can be reported next to a file name."""

    pointer: str
    message: str
    field: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def _pointer(path: Any) -> str:
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in path)


def _describe(error: ValidationError) -> str:
    """A message a person can act on; jsonschema's default repeats whole instances for some keywords."""
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(list(e.relative_path)))
        return str(best.message)
    if error.validator == "type" and isinstance(error.instance, int) and error.validator_value == "string":
        return f"{error.instance!r} is not of type 'string' (quote it: in YAML a bare 001 is read as the number 1)"
    return str(error.message)


def problems(name: str, instance: Any) -> list[SchemaProblem]:
    """Every violation of schema ``name`` by ``instance``, in document order (empty when valid)."""
    found = []
    for error in validator(name).iter_errors(instance):
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.message, str):
            field = error.message.split("'")[1] if "'" in error.message else ""
            path = [*path, field] if field else path
        found.append(
            SchemaProblem(
                pointer=_pointer(path), message=_describe(error), field=str(path[-1]) if path else ""
            )
        )
    return sorted(found, key=lambda p: p.pointer)
