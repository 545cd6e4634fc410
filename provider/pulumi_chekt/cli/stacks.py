"""The stacks of a project and the site files each one converges, read from the files alone.

A fleet is split into stacks (per dealer or region); each stack's ``Pulumi.<stack>.yaml`` sets
``chekt:sites`` (globs relative to the project folder), as the root program reads it. This module
answers, without the Pulumi CLI or a backend: which stacks exist as files, which globs each one
uses, which files a glob matches, and whether a (possibly deleted) path would match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pulumi_chekt.site.globs import DEFAULT_SITE_GLOBS, site_files

SITES_KEY = "chekt:sites"
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^/]+)\.ya?ml$")


class StackConfigError(ValueError):
    """A stack's configuration file cannot be read, or its chekt:sites is not a list of globs."""


@dataclass(frozen=True)
class StackFiles:
    """One stack as its configuration file declares it."""

    name: str
    config_file: str
    globs: tuple[str, ...]


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise StackConfigError(f"{path.name}: cannot be read: {error}") from None


def _globs(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):  # `pulumi config set chekt:sites '["a/*.yaml"]'` stores JSON text
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StackConfigError(f"{where}: {SITES_KEY} must be a list of glob strings")
    return tuple(value)


def _project_default(project_dir: Path) -> tuple[str, ...]:
    """chekt:sites of Pulumi.yaml (a value or a ``default``), else the program's default."""
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        path = project_dir / name
        if not path.is_file():
            continue
        config = (_yaml(path) or {}).get("config") or {}
        value = config.get(SITES_KEY) if isinstance(config, Mapping) else None
        if isinstance(value, Mapping):
            value = value.get("default", value.get("value"))
        if value is not None:
            return _globs(value, name)
    return tuple(DEFAULT_SITE_GLOBS)


def stack_files(project_dir: Path) -> list[StackFiles]:
    """Every ``Pulumi.<stack>.yaml`` of the project, with the globs its stack converges."""
    default = _project_default(project_dir)
    found = []
    for path in sorted(project_dir.iterdir()):
        match = STACK_FILE.match(path.name)
        if match is None or not path.is_file():
            continue
        config = (_yaml(path) or {}).get("config") or {}
        value = config.get(SITES_KEY) if isinstance(config, Mapping) else None
        globs = default if value is None else _globs(value, path.name)
        found.append(StackFiles(match["stack"], path.name, globs))
    return found


def matched_files(stack: StackFiles, project_dir: Path) -> list[Path]:
    """The files the stack's globs match now (as the root program matches them)."""
    return site_files(list(stack.globs), project_dir)


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path-aware glob as a regex: ``*`` and ``?`` stay within one folder, ``**`` spans folders."""
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            index = end + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


def matches(stack: StackFiles, path: str) -> bool:
    """Whether ``path`` (relative to the project folder, ``/``-separated) falls under the stack's globs."""
    clean = path.removeprefix("./")
    return any(glob_regex(pattern.removeprefix("./")).match(clean) for pattern in stack.globs)
