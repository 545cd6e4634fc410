"""``validate FILE...``: check site files offline, for pre-commit hooks and CI.

The rules are the library's (schema, unique external ids and zones, one file per dealer and site),
so a file that passes here is a file ``pulumi preview`` accepts. A file that cannot be read is a
problem of that file (exit 1), not a usage error. Neither this module nor what it imports loads the
Pulumi SDK: validating hundreds of files should take about a second, not seconds of imports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pulumi_chekt.cli.common import EXIT_FAILED, EXIT_OK
from pulumi_chekt.site.problems import SiteProblem
from pulumi_chekt.site.sitefile import (
    MAX_FILE_BYTES,
    SiteSpec,
    check_site_file,
    duplicate_site_problems,
    project_root,
)

PROGRESS_INTERVAL = 0.1
"""Seconds between two updates of the progress line."""


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating a set of files together."""

    files: int
    problems: list[SiteProblem]

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "files": self.files,
            "problems": [
                {"file": p.file, "line": p.line, "pointer": p.pointer, "message": p.message}
                for p in self.problems
            ],
        }

    def summary(self) -> str:
        if self.valid:
            return f"{self.files} site file{'s' if self.files != 1 else ''} valid"
        bad = len({p.file for p in self.problems})
        count = len(self.problems)
        return f"{count} problem{'s' if count != 1 else ''} in {bad} of {self.files} site files"


def root_for(path: str, given: Path | None, default: Path) -> Path:
    """The project a file must stay inside: ``--project-root`` if given; else the default root (the folder
    holding Pulumi.yaml above the current directory, or the current directory) when the file is named
    inside it; else the project around the file itself (a file named elsewhere, e.g. /tmp/x.yaml)."""
    if given is not None:
        return given
    named = Path(os.path.abspath(path))
    if named.is_relative_to(default):
        return default
    return project_root(named.parent)


class Progress:
    """``validating N/M site files`` on one rewritten stderr line, only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = stream.isatty() and total > 1
        self.last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self.enabled and now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.stream.write(f"\rvalidating {done}/{self.total} site files")
            self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self.last:
            self.stream.write("\r\033[K")
            self.stream.flush()


def validate_files(
    paths: Sequence[str],
    project: Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    on_file: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Every problem of every file, then the cross-file rule over the files that are valid alone."""
    unique = list(dict.fromkeys(paths))  # a file named twice (e.g. by two globs) is checked once
    default = project_root(Path.cwd())
    found: list[SiteProblem] = []
    sites: list[SiteSpec] = []
    for done, path in enumerate(unique, 1):
        site, problems = check_site_file(path, root_for(path, project, default), max_bytes)
        found += problems
        if site is not None:
            sites.append(site)
        if on_file is not None:
            on_file(done)
    found += duplicate_site_problems(sites)
    return ValidationReport(files=len(unique), problems=found)


def run(args: argparse.Namespace) -> int:
    progress = Progress(len(args.files), sys.stderr)
    project = Path(args.project_root).resolve() if args.project_root else None
    try:
        report = validate_files(args.files, project, args.max_bytes, progress.update)
    finally:
        progress.clear()
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            print(problem)
    print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.valid else EXIT_FAILED


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check site files offline (schema, unique ids and zones, one file per site)",
        description=(
            "Check site files without credentials or network: the site schema, unique "
            "external_device_id and zone_number within a site, and no dealer+site declared by two "
            "files. Prints one line per problem (file:line: /json/pointer: reason) and a summary on "
            "stderr (with a progress line while it runs, on a terminal). A file whose real path "
            "(symlinks followed) is outside the project is refused unread. Exit status: 0 all valid, "
            "1 a problem (an unreadable file counts), 2 usage error."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="site files (YAML or JSON)")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='text (default) or json: {"valid", "files", "problems": [{file, line, pointer, message}]}',
    )
    parser.add_argument(
        "--project-root",
        metavar="DIR",
        help="no site file may resolve outside DIR (default: the folder holding Pulumi.yaml above the "
        "current directory, or the current directory; for a file named outside it, its own project)",
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive,
        default=MAX_FILE_BYTES,
        metavar="N",
        help=f"largest site file read, in bytes (default {MAX_FILE_BYTES:,})",
    )
    parser.set_defaults(func=run)
