"""Parse a site file's YAML (and so JSON) in one bounded pass that also records the line of every value.

Why an event loop over PyYAML's parser rather than ``safe_load`` plus a walk of the node tree (as
before) or ruamel.yaml: one pass over libyaml's events (the C parser when PyYAML has it, else the
pure-Python one with the same events) builds the data, the JSON-pointer -> line map and the list of
duplicate keys together, and it can stop at the first event that breaks a limit: an alias (refused,
see below), nesting deeper than ``max_depth`` (the parser keeps its own stack, so nothing here
recurses) or a second document. ``safe_load`` would build the data first and leave us no place to
count; composing the node tree is a second parse; ruamel.yaml is a new dependency, about ten times
slower than libyaml here, and expands aliases the same way.

Aliases are refused rather than expanded within a budget: a site file has ``defaults`` for repeated
values, an alias makes a reviewed diff lie (changing an anchor changes devices elsewhere), and a
budget would have to hold through validation, normalization and the Pulumi engine, not just here.
Scalars are built by PyYAML's safe constructors (so ``001`` is still the number 1 and ``"001"`` a
string); mapping keys are kept as written (``yes:`` is the key "yes"); any other tag is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 32
"""Deepest nesting accepted; a site file needs four levels (file, devices, device, zone list)."""

_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")


class YamlLoadError(Exception):
    """The text cannot be turned into data: ``reason`` at ``line`` (1-based; None when unknown)."""

    def __init__(self, reason: str, line: int | None, pointer: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.pointer = pointer


@dataclass
class Parsed:
    """The data, the line of every JSON pointer, and each repeated key as (pointer, line, first line)."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)


def escape(part: str) -> str:
    """One JSON-pointer reference token (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


@dataclass
class _Frame:
    """An open mapping or sequence: its value, its pointer, and (for a mapping) the pending key."""

    value: Any
    pointer: str
    key: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    expecting_key: bool = False


_KINDS = {
    "tag:yaml.org,2002:timestamp": "date",
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
}
_SHOWN = 80


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _tag(tag: str) -> str:
    return _cut(tag.replace("tag:yaml.org,2002:", "!!"))


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


_STR = "tag:yaml.org,2002:str"


def _scalar(loader: yaml.SafeLoader, event: Any) -> Any:
    """A scalar built by PyYAML's safe constructor for its (explicit or resolved) tag; text (most
    values) is returned as it is, without building a node."""
    written: str | None = event.tag
    implicit = written is None or written == "!"
    if implicit and not event.implicit[0]:
        return event.value  # quoted: always text
    tag: str = loader.resolve(ScalarNode, event.value, event.implicit) if implicit else str(written)  # type: ignore[no-untyped-call]
    if tag == _STR:
        return event.value
    construct = loader.yaml_constructors.get(tag)
    if construct is None or tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"):
        if implicit:
            return event.value  # "<<" or "=" written as a plain value: just text
        raise YamlLoadError(f"the tag {_tag(tag)} is not supported", _line(event))
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    try:
        return construct(loader, node)
    except (ValueError, OverflowError):  # e.g. 2021-02-30, or an integer of 5,000 digits
        kind = _KINDS.get(tag, "value")
        raise YamlLoadError(
            f"{_cut(event.value)} is not a valid {kind} (quote it if it is text)", _line(event)
        ) from None


class _Builder:
    """Turns the event stream of one document into data, recording lines and duplicate keys. Written
    for speed (it runs once per event): dispatch on the event's type, the open container at hand."""

    def __init__(self, loader: yaml.SafeLoader, max_depth: int) -> None:
        self.loader = loader
        self.max_depth = max_depth
        self.stack: list[_Frame] = []
        self.top: _Frame | None = None
        self.parsed = Parsed(None)
        self.lines = self.parsed.lines

    def _child_pointer(self, line: int) -> str:
        """The pointer of the value that starts now, recording its line (a key's line for a mapping value)."""
        frame = self.top
        if frame is None:
            self.lines[""] = line
            return ""
        if frame.key is None:  # an item of a list
            pointer = f"{frame.pointer}/{len(frame.value)}"
            self.lines[pointer] = line
            return pointer
        return f"{frame.pointer}/{escape(frame.key)}"

    def _add(self, value: Any) -> None:
        """Attach a finished value to its parent (or make it the document)."""
        frame = self.top
        if frame is None:
            self.parsed.data = value
        elif frame.key is None:
            frame.value.append(value)
        else:
            frame.value[frame.key] = value
            frame.key = None
            frame.expecting_key = True

    def _key(self, event: Any) -> None:
        """A mapping key: kept as written; a repeated key is recorded with the line of its first use."""
        frame = self.top
        assert frame is not None
        line = event.start_mark.line + 1
        kind = type(event)
        if kind is AliasEvent:
            raise YamlLoadError("aliases are not supported", line, frame.pointer)
        if kind is not ScalarEvent:
            raise YamlLoadError("a key must be a plain name, not a list or mapping", line, frame.pointer)
        key = str(event.value)
        pointer = f"{frame.pointer}/{escape(key)}"
        first = frame.key_lines.get(key)
        if first is not None:
            self.parsed.duplicates.append((pointer, line, first))
        else:
            frame.key_lines[key] = line
        self.lines[pointer] = line
        frame.key = key
        frame.expecting_key = False

    def _open(self, event: Any, container: Any, tags: tuple[str | None, ...]) -> None:
        line = event.start_mark.line + 1
        if event.tag not in tags:
            raise YamlLoadError(f"the tag {_tag(event.tag)} is not supported", line)
        pointer = self._child_pointer(line)
        if len(self.stack) >= self.max_depth:
            raise YamlLoadError(f"nested deeper than {self.max_depth} levels", line, pointer)
        frame = _Frame(container, pointer, expecting_key=isinstance(container, dict))
        self.stack.append(frame)
        self.top = frame

    def _close(self) -> None:
        value = self.stack.pop().value
        self.top = self.stack[-1] if self.stack else None
        self._add(value)

    def feed(self, event: Any) -> None:
        kind = type(event)
        frame = self.top
        if frame is not None and frame.expecting_key and kind is not MappingEndEvent:
            self._key(event)
        elif kind is ScalarEvent:
            self._child_pointer(event.start_mark.line + 1)
            self._add(_scalar(self.loader, event))
        elif kind is MappingStartEvent:
            self._open(event, {}, _MAP_TAGS)
        elif kind is SequenceStartEvent:
            self._open(event, [], _SEQ_TAGS)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self._close()
        elif kind is AliasEvent:
            pointer = self._child_pointer(_line(event))
            raise YamlLoadError("aliases are not supported", _line(event), pointer)


def load_with_lines(text: str, max_depth: int = MAX_DEPTH) -> Parsed:
    """One YAML/JSON document with the line of every value; YamlLoadError for anything we refuse or
    cannot parse (never another exception, never unbounded work)."""
    loader = _Loader(text)
    builder = _Builder(loader, max_depth)
    feed = builder.feed
    get_event = loader.get_event
    documents = 0
    try:
        while True:
            event = get_event()  # type: ignore[no-untyped-call]
            kind = type(event)
            if kind is StreamEndEvent:
                break
            if kind is StreamStartEvent or kind is DocumentEndEvent:
                continue
            if kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlLoadError(
                        "a site file holds one YAML document; another starts here", _line(event)
                    )
                continue
            feed(event)
    except yaml.YAMLError as error:
        raise _syntax_error(error, text, max_depth) from None
    finally:
        loader.dispose()
    return builder.parsed


def _syntax_error(error: yaml.YAMLError, text: str, max_depth: int) -> YamlLoadError:
    """libyaml's reason at its line, with a hint where it is terse (a tab, libyaml's own depth limit)."""
    mark = getattr(error, "problem_mark", None)
    reason = str(getattr(error, "problem", None) or error.__class__.__name__)
    line = mark.line + 1 if mark is not None else None
    if "nesting depth" in reason:
        return YamlLoadError(f"nested deeper than {max_depth} levels", line)
    reason = _cut(reason)
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        reason += " (a tab: indent YAML with spaces)"
    return YamlLoadError(f"not valid YAML/JSON: {reason}", line)


def line_of(pointer: str, lines: dict[str, int]) -> int | None:
    """The line of ``pointer``, or of its nearest ancestor that has one (a missing key's parent)."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
