"""Schema violations as messages a person can act on.

jsonschema's own messages repeat whole instances (a file that is a list came out as the repr of the
whole file), show raw regular expressions, list every unknown key in one message and report a
``oneOf`` as "not valid under any of the given schemas". Here each violation becomes one short
message located at the value that is wrong: an unknown key at that key (with the closest known name),
a bad item of a list at that item, a pattern by the schema's ``patternErrorMessage``, and values
quoted in JSON notation, cut at ``MAX_SHOWN`` characters.
"""

from __future__ import annotations

import datetime
import difflib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

from pulumi_chekt.contract.schemas import definition_of, passes_fast_check, validator

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

MAX_SHOWN = 80
"""Longest quoted value in a message; a longer one is cut and ends with an ellipsis."""

_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def shown(value: Any) -> str:
    """A value as it would be written in JSON (``"001"``, ``1``, ``true``, ``null``), cut to MAX_SHOWN;
    an object or array is named, never dumped."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, datetime.date):
        return value.isoformat()  # YAML read an unquoted date; show it as written, not as text
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def kind_of(value: Any) -> str:
    """A short name for the kind of a value, for "expected X, got Y" messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if value is None:
        return "null"
    return shown(value)


def _type_matches(expected: str, value: Any) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    wanted = _JSON_TYPES.get(expected)
    return (
        wanted is not None
        and isinstance(value, wanted)
        and not (wanted is not bool and isinstance(value, bool))
    )


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation, located by JSON pointer so it can be reported next to a file name.

    ``keyword`` is the JSON Schema keyword that failed, ``value`` the offending value and ``definition``
    the ``common.schema.json`` definition the failing rule comes from (e.g. ``zone_number``), so that a
    caller can add advice of its own (a site file adds the YAML quoting hint for zone numbers)."""

    pointer: str
    message: str
    field: str
    keyword: str = ""
    value: Any = dataclass_field(default=None, compare=False, repr=False)
    definition: str | None = None

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def _rule(error: ValidationError) -> Any:
    """The keyword's value in the schema (jsonschema types it as possibly unset)."""
    return error.validator_value


def _where(error: ValidationError) -> dict[str, Any]:
    """The subschema holding the keyword that failed."""
    return error.schema if isinstance(error.schema, dict) else {}


def _value(error: ValidationError) -> Any:
    return error.instance


def _pointer(path: Iterable[Any]) -> str:
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in path)


def _field(path: Sequence[Any]) -> str:
    """The name of the field a path ends in: for an item of a list, the list's field."""
    return next((str(part) for part in reversed(path) if isinstance(part, str)), "")


def _names(values: Iterable[Any]) -> str:
    return ", ".join(shown(value) for value in values)


_TYPE_NAMES = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer"}


def _type_message(expected: str | Sequence[str], value: Any) -> str:
    """``expected an array, got an object`` when an object or array is involved (never dumped), else the
    familiar ``1 is not of type 'string'``."""
    wanted = [expected] if isinstance(expected, str) else list(expected)
    if isinstance(value, dict | list) or any(t in ("object", "array") for t in wanted):
        return f"expected {' or '.join(_TYPE_NAMES.get(t, t) for t in wanted)}, got {kind_of(value)}"
    return f"{shown(value)} is not of type {' or '.join(repr(t) for t in wanted)}"


def _unknown_keys(error: ValidationError, path: list[Any]) -> Iterator[tuple[list[Any], str, str]]:
    """additionalProperties: one (path, field, message) per unknown key, with the closest known name."""
    known = list(_where(error).get("properties", {}))
    instance = _value(error) if isinstance(_value(error), dict) else {}
    patterns = _where(error).get("patternProperties", {})
    for key in instance:
        if key in known or patterns:
            continue
        message = f"unknown field {shown(str(key))}"
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {shown(close[0])}?)"
        elif known:
            message += f" (allowed: {', '.join(known)})"
        yield [*path, key], str(key), message


def _best_branch(error: ValidationError) -> Sequence[ValidationError] | None:
    """For a failed oneOf/anyOf: the errors of the branch whose type the value has, so that a bad item of
    a list is reported as that item rather than as "not valid under any of the given schemas"."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)  # type: ignore[arg-type]
    for index, subschema in enumerate(_rule(error)):
        wanted = subschema.get("type") if isinstance(subschema, dict) else None
        types = [wanted] if isinstance(wanted, str) else list(wanted or [])
        if any(_type_matches(t, _value(error)) for t in types) and index in branches:
            return branches[index]
    return None


def _branch_types(error: ValidationError) -> list[str]:
    types: list[str] = []
    for subschema in _rule(error):
        wanted = subschema.get("type") if isinstance(subschema, dict) else None
        types += [wanted] if isinstance(wanted, str) else list(wanted or [])
    return types


def _length_message(error: ValidationError) -> str:
    size = len(_value(error))
    unit = "items" if isinstance(_value(error), list) else "characters"
    if error.validator in ("maxLength", "maxItems"):
        return f"is {size} {unit} long; at most {_rule(error)} allowed"
    if size == 0:
        return "must be a non-empty array" if unit == "items" else "must not be empty"
    return f"is {size} {unit} long; at least {_rule(error)} needed"


def _message(error: ValidationError) -> str:
    keyword = str(error.validator)
    value, rule = _value(error), _rule(error)
    if keyword == "type":
        return _type_message(rule, value)
    if keyword == "enum":
        return f"{shown(value)} is not one of {_names(rule)}"
    if keyword == "const":
        return f"must be {shown(rule)}"
    if keyword == "pattern":
        return str(_where(error).get("patternErrorMessage") or "is not in the expected format")
    if keyword in ("minLength", "maxLength", "minItems", "maxItems"):
        return _length_message(error)
    if keyword == "minimum":
        return f"{shown(value)} is less than the minimum of {rule}"
    if keyword == "maximum":
        return f"{shown(value)} is more than the maximum of {rule}"
    if keyword == "uniqueItems":
        return "has repeated items"
    if keyword in ("oneOf", "anyOf"):
        types = list(dict.fromkeys(_branch_types(error)))
        if types:
            return _type_message(types, value)
        return "does not match any of the allowed forms"
    if keyword == "not":
        return "is not allowed here"
    return "is not valid here"


def _flatten(error: ValidationError) -> Iterator[ValidationError]:
    """The errors to report for one jsonschema error: a oneOf/anyOf is replaced by its best branch's."""
    if error.validator in ("oneOf", "anyOf"):
        branch = _best_branch(error)
        if branch:
            for sub in branch:
                yield from _flatten(sub)
            return
    yield error


def problems(name: str, instance: Any) -> list[SchemaProblem]:
    """Every violation of schema ``name`` by ``instance``, one per mistake, sorted by pointer."""
    if passes_fast_check(name, instance):
        return []
    found: list[SchemaProblem] = []
    for top in validator(name).iter_errors(instance):
        for error in _flatten(top):
            path = list(error.absolute_path)
            definition = definition_of(name, error.schema)
            if error.validator == "additionalProperties" and _rule(error) is False:
                for key_path, key, message in _unknown_keys(error, path):
                    found.append(SchemaProblem(_pointer(key_path), message, key, "additionalProperties"))
                continue
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                message = f"missing required field {shown(missing)}"
                found.append(SchemaProblem(_pointer([*path, missing]), message, missing, "required"))
                continue
            found.append(
                SchemaProblem(
                    pointer=_pointer(path),
                    message=_message(error),
                    field=_field(path),
                    keyword=str(error.validator),
                    value=error.instance,
                    definition=definition,
                )
            )
    return _one_per_mistake(found)


def _one_per_mistake(found: list[SchemaProblem]) -> list[SchemaProblem]:
    """A misspelt required field is one mistake: keep "unknown field 'sites_id' (did you mean 'site_id'?)"
    and drop "missing required field 'site_id'". Exact repeats (an if/then/else) are dropped too."""
    suggested = {
        p.pointer.rsplit("/", 1)[0] + "/" + p.message.split('did you mean "', 1)[1].split('"', 1)[0]
        for p in found
        if p.keyword == "additionalProperties" and 'did you mean "' in p.message
    }
    kept = [p for p in found if not (p.keyword == "required" and p.pointer in suggested)]
    unique = {(p.pointer, p.message): p for p in kept}
    return sorted(unique.values(), key=lambda p: p.pointer)
