"""``affected [FILE...|-]``: the stacks a change touches, for a CI matrix that previews only those.

Input: changed paths relative to the project folder (``git diff --name-only --relative``). A path
matched by a stack's ``chekt:sites`` globs, or its ``Pulumi.<stack>.yaml``, touches that stack; a
project-wide file (``Pulumi.yaml``, ``__main__.py``, ``requirements.txt`` or any ``--all-if``
glob) touches every stack. Matching is by pattern, so a deleted site file still counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pulumi_chekt.cli.common import EXIT_OK, report_error
from pulumi_chekt.cli.stacks import STACK_FILE, StackConfigError, StackFiles, glob_regex, matches, stack_files

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml", "__main__.py", "requirements.txt")


def affected(stacks: list[StackFiles], changed: list[str], all_if: list[str]) -> list[str]:
    """Names of the stacks touched by ``changed``, in the order of ``stacks``."""
    touched: set[str] = set()
    for path in (p.strip().removeprefix("./") for p in changed):
        if not path:
            continue
        if path in PROJECT_FILES or any(glob_regex(pattern).match(path) for pattern in all_if):
            return [stack.name for stack in stacks]
        config = STACK_FILE.match(path)
        touched.update(s.name for s in stacks if (config and config["stack"] == s.name) or matches(s, path))
    return [stack.name for stack in stacks if stack.name in touched]


def _changed(args: argparse.Namespace) -> list[str]:
    paths: list[str] = []
    for item in args.paths or ["-"]:
        paths += sys.stdin.read().splitlines() if item == "-" else [item]
    return paths


def run(args: argparse.Namespace) -> int:
    try:
        stacks = stack_files(args.project_dir)
    except (OSError, StackConfigError) as error:
        return report_error(str(error))
    names = affected(stacks, _changed(args), args.all_if)
    print(json.dumps(names) if args.format == "json" else "\n".join(names))
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "affected",
        help="print the stacks whose site files (or stack config) a change touches",
        description=(
            "Read changed paths (relative to the project folder, e.g. from `git diff --name-only "
            "--relative BASE`) from the arguments or stdin, and print the stacks they touch: a path "
            "matched by a stack's chekt:sites globs (from Pulumi.<stack>.yaml) or the stack's own "
            "config file touches that stack; Pulumi.yaml, __main__.py, requirements.txt or an "
            "--all-if glob touches every stack. Offline. Exit status: 0 printed (possibly an empty "
            "list), 1 a stack config cannot be read, 2 usage error."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="FILE", help="changed paths (default or -: stdin)")
    parser.add_argument(
        "--project-dir", type=Path, default=Path("."), metavar="DIR", help="the folder of Pulumi.yaml"
    )
    parser.add_argument(
        "--all-if",
        action="append",
        default=[],
        metavar="GLOB",
        help="a changed path matching GLOB touches every stack (repeatable), e.g. '.github/**'",
    )
    parser.add_argument(
        "--format", choices=("json", "lines"), default="json", help="a JSON list (default) or one per line"
    )
    parser.set_defaults(func=run)
