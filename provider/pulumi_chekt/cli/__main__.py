"""Entry point of ``chekt-devices`` (and ``python -m pulumi_chekt.cli``): parse, dispatch, map errors.

Any ChektError (API refused, unreachable, missing credentials) becomes one line on stderr and exit
status 1; its text is built from method, path, status and trace id only, never from a secret.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pulumi_chekt._version import __version__
from pulumi_chekt.api import ChektError
from pulumi_chekt.cli import affected, export, init, list_devices, owners, schema, summarize, validate
from pulumi_chekt.cli.common import EXIT_FAILED, PROG, report_error

INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create a project for CHeKT site files, validate them, export a live site, list its "
        "devices, summarize `pulumi preview --json` for pull requests, check how a fleet is split "
        "into stacks, and print the site schema.",
        epilog="Exit status: 0 success, 1 invalid files / failed preview / API error, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (init, validate, export, list_devices, summarize, owners, affected, schema):
        module.register(subparsers)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (argparse itself exits 2 on a usage error)."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except ChektError as error:
        return report_error(str(error))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (e.g. `| head`): nothing more to say
        return EXIT_FAILED
    return status


if __name__ == "__main__":
    sys.exit(main())
