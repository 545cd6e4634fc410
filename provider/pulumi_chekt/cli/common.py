"""What every subcommand shares: exit codes and the one-line error report."""

from __future__ import annotations

import sys
from typing import TextIO

PROG = "chekt-devices"

EXIT_OK = 0
EXIT_FAILED = 1
"""Invalid site files, a failed preview, or an error from the API: the run did not succeed."""
EXIT_USAGE = 2
"""Wrong arguments (argparse exits with 2 too)."""


def one_line(text: str) -> str:
    """Collapse whitespace so a message never spans lines (CI logs and pre-commit show one line each)."""
    return " ".join(text.split())


def report_error(message: str, stream: TextIO | None = None) -> int:
    """Write ``chekt-devices: error: <message>`` on one line to stderr; returns EXIT_FAILED."""
    print(f"{PROG}: error: {one_line(message)}", file=stream or sys.stderr)
    return EXIT_FAILED
