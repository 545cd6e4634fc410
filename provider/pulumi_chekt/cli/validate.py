"""``validate FILE...``: check site files offline, for pre-commit hooks and CI.

The rules are the library's (schema, unique external ids and zones, one file per dealer and site),
so a file that passes here is a file ``pulumi preview`` accepts. A file that cannot be read is a
problem of that file (exit 1), not a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_chekt.cli.common import EXIT_FAILED, EXIT_OK
from pulumi_chekt.site import SiteProblem, SiteSpec, check_site_file, duplicate_site_problems


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


def validate_files(paths: Sequence[str]) -> ValidationReport:
    """Every problem of every file, then the cross-file rule over the files that are valid alone."""
    unique = list(dict.fromkeys(paths))  # a file named twice (e.g. by two globs) is checked once
    found: list[SiteProblem] = []
    sites: list[SiteSpec] = []
    for path in unique:
        site, problems = check_site_file(path)
        found += problems
        if site is not None:
            sites.append(site)
    found += duplicate_site_problems(sites)
    return ValidationReport(files=len(unique), problems=found)


def run(args: argparse.Namespace) -> int:
    report = validate_files(args.files)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            print(problem)
    print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.valid else EXIT_FAILED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check site files offline (schema, unique ids and zones, one file per site)",
        description=(
            "Check site files without credentials or network: the site schema, unique "
            "external_device_id and zone_number within a site, and no dealer+site declared by two "
            "files. Prints one line per problem (file:line: /json/pointer: reason) and a summary on "
            "stderr. Exit status: 0 all valid, 1 a problem (an unreadable file counts), 2 usage error."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="site files (YAML or JSON)")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='text (default) or json: {"valid", "files", "problems": [{file, line, pointer, message}]}',
    )
    parser.set_defaults(func=run)
