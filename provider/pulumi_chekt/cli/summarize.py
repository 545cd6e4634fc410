"""``summarize [FILE|-]``: ``pulumi preview --json`` as a markdown comment for a pull request.

Reviewers see per site which devices are created, updated, replaced or deleted and each changed
value as ``old → new``. Values come from the preview already redacted (``preview.redact``) and are
written inside code spans, so a device name can neither reveal a secret nor inject markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pulumi_chekt.cli.common import EXIT_FAILED, EXIT_OK, report_error
from pulumi_chekt.cli.preview import (
    ABSENT,
    ACTIONS,
    SECRET,
    UNKNOWN_VALUE,
    DeviceChange,
    FieldChange,
    PreviewFormatError,
    PreviewSummary,
    summarize_preview,
)

TITLE = "CHeKT devices"
MAX_CHARS = 60_000
"""GitHub refuses comments over 65,536 characters; rows past this budget are counted, not shown."""
ARROW = "→"


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def code(text: str) -> str:
    """``text`` as an inline code span that is safe in a table cell (no pipes, newlines or early close)."""
    flat = " ".join(text.replace("|", "\\|").splitlines()) if text else ""
    fence = "`" * (_longest_backtick_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _plain(value: Any) -> Any:
    if value is SECRET or value is UNKNOWN_VALUE:
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def value_text(value: Any) -> str:
    """One value for a cell: secrets as `[secret]`, unknowns and absent values in italics."""
    if value is SECRET:
        return code(str(SECRET))
    if value is UNKNOWN_VALUE or value is ABSENT:
        return f"_{value}_"
    if isinstance(value, str):
        return code(value)
    return code(json.dumps(_plain(value), ensure_ascii=False, sort_keys=True))


def field_text(change: FieldChange, action: str) -> str:
    label = change.name + (" (forces replacement)" if change.forces_replacement else "")
    if action == "create":
        return f"{label}: {value_text(change.new)}"
    if action == "delete":
        return f"{label}: {value_text(change.old)}"
    return f"{label}: {value_text(change.old)} {ARROW} {value_text(change.new)}"


def total_line(summary: PreviewSummary) -> str:
    unchanged = f"{summary.unchanged} unchanged"
    if not summary.unchanged_is_device_count:
        unchanged = f"{summary.unchanged} resources unchanged"
    if not summary.changes:
        return f"**{TITLE}: no changes** ({unchanged})"
    counts = [f"{summary.count(action)} to {action}" for action in ACTIONS]
    if summary.other:
        counts.append(f"{summary.other} other")
    return f"**{TITLE}: {', '.join(counts)}** ({unchanged})"


def _device_cell(change: DeviceChange) -> str:
    device = code(change.external_id)
    shown = change.device_id
    if shown not in (None, "", ABSENT) and change.action != "create":
        plain = isinstance(shown, int | str) and str(shown).isdigit()
        device += f" (device {shown if plain else value_text(shown)})"
    return device


def _row(change: DeviceChange) -> str:
    details = "<br>".join(field_text(f, change.action) for f in change.fields) or "_no field changes shown_"
    return f"| {change.action} | {_device_cell(change)} | {details} |"


def _site_heading(key: tuple[int | None, int | None]) -> str:
    dealer, site = key
    if dealer is None or site is None:
        return "### Devices of an unknown site"
    return f"### Dealer {dealer}, site {site}"


def _order(change: DeviceChange) -> tuple[int, str, str]:
    rank = ACTIONS.index(change.action) if change.action in ACTIONS else len(ACTIONS)
    return rank, change.action, change.external_id


def _by_site(
    changes: Iterable[DeviceChange],
) -> list[tuple[tuple[int | None, int | None], list[DeviceChange]]]:
    groups: dict[tuple[int | None, int | None], list[DeviceChange]] = defaultdict(list)
    for change in changes:
        groups[(change.dealer_id, change.site_id)].append(change)
    keys = sorted(groups, key=lambda k: (k[0] is None, k[0] or 0, k[1] is None, k[1] or 0))
    return [(key, sorted(groups[key], key=_order)) for key in keys]


def render_failure(errors: list[str]) -> str:
    """The comment for a preview that failed: its error messages in a code block."""
    count = len(errors)
    text = "\n\n".join(errors) or "the preview failed without an error message"
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    plural = "s" if count != 1 else ""
    return f"**{TITLE}: preview failed** ({count} error{plural})\n\n{fence}text\n{text}\n{fence}\n"


def render(summary: PreviewSummary, max_chars: int = MAX_CHARS) -> str:
    """The markdown comment: the total line first, then one table per site."""
    if summary.errors:
        return render_failure(summary.errors)
    lines = [total_line(summary)]
    if not summary.changes:
        return lines[0] + "\n"
    size, hidden = len(lines[0]), 0
    for key, changes in _by_site(summary.changes):
        header = ["", _site_heading(key), "", "| Action | Device | Changes |", "| --- | --- | --- |"]
        rows: list[str] = []
        for change in changes:
            row = _row(change)
            needed = len(row) + 1 + (0 if rows else sum(len(line) + 1 for line in header))
            if size + needed > max_chars:
                hidden += 1
                continue
            rows.append(row)
            size += needed
        if rows:
            lines += header + rows
    if hidden:
        lines += [
            "",
            f"_… and {hidden} more device change{'s' if hidden != 1 else ''} not shown (see the job log)._",
        ]
    return "\n".join(lines) + "\n"


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    try:
        text = _read(args.preview)
    except (OSError, UnicodeDecodeError) as error:
        return report_error(f"cannot read {args.preview}: {error}")
    try:
        summary = summarize_preview(json.loads(text))
    except (ValueError, PreviewFormatError) as error:
        # Still print a comment: the pull request should say the preview failed, not stay silent.
        reason = str(error) if isinstance(error, PreviewFormatError) else "no JSON document in the input"
        sys.stdout.write(render_failure([f"could not read the preview output: {reason} (see the job log)"]))
        return report_error(f"could not read the preview output: {reason}")
    sys.stdout.write(render(summary))
    if summary.errors:
        print(f"the preview failed with {len(summary.errors)} error(s)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="turn `pulumi preview --json` into a markdown pull-request comment",
        description=(
            "Read the output of `pulumi preview --json` (add --show-sames to count unchanged devices "
            "exactly) and print a markdown summary: a total line, then per site the devices to "
            "create, update, replace and delete with old → new values. Secrets are shown as "
            "[secret]. Exit status: 0 summarized, 1 the preview failed or the input is not a "
            "preview (a comment saying so is still printed), 2 usage error."
        ),
    )
    parser.add_argument(
        "preview", nargs="?", default="-", metavar="FILE", help="the preview JSON (default: - for stdin)"
    )
    parser.set_defaults(func=run)
