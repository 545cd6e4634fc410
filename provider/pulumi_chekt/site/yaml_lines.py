"""Parse YAML (and so JSON) keeping the line of every value, and refuse duplicate keys.

PyYAML's safe loader silently keeps the last of two equal keys; in a reviewed site file that would
hide a mistake, so the composed node tree is walked to find them, and to map JSON pointers to lines.
"""

from __future__ import annotations

from typing import Any

import yaml


def _walk(node: yaml.Node, pointer: str, lines: dict[str, int], duplicates: list[tuple[str, int]]) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if key in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            _walk(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, f"{pointer}/{index}", lines, duplicates)


def load_with_lines(text: str) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    """(data, {json pointer: 1-based line}, [(pointer, line) of each duplicate key]); raises yaml.YAMLError."""
    data = yaml.safe_load(text)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    if node is not None:
        _walk(node, "", lines, duplicates)
    return data, lines, duplicates


def line_of(pointer: str, lines: dict[str, int]) -> int | None:
    """The line of ``pointer``, or of its nearest ancestor that has one (a missing key's parent)."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]
