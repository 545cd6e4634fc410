"""``summarize [FILE|-]``: ``pulumi preview --json`` as a markdown comment for a pull request.

Reviewers see the totals first, then the drift that ``pulumi up`` will undo (with ``--refresh``),
the live devices that no site file declares ("not in git"), then per site which devices are pruned
(``prune: true``), deleted, replaced, updated, created or adopted (``--live``), each changed value as
``old → new``. Values come from the preview with secrets already replaced by
placeholders (``preview.with_placeholders``) and are written inside code spans, so a device name can
neither reveal a secret nor inject markdown. The comment never exceeds ``--max-chars`` (``budget.fit``): the longest sites are cut.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektError
from pulumi_chekt.cli.budget import Section, cost, fit, more_line
from pulumi_chekt.cli.common import EXIT_FAILED, EXIT_OK, report_error
from pulumi_chekt.cli.credentials import ENVIRONMENT_HELP, add_connection_arguments, client_from
from pulumi_chekt.cli.live import check_live, sites_to_check
from pulumi_chekt.cli.preview import (
    ABSENT,
    ACTIONS,
    ADOPT,
    PRUNE,
    RECREATE,
    RESTORE,
    SECRET,
    UNKNOWN_VALUE,
    DeviceChange,
    FieldChange,
    PreviewFormatError,
    PreviewSummary,
    summarize_preview,
)
from pulumi_chekt.cli.site_sets import NOT_REFRESHED, SiteSet

TITLE = "CHeKT devices"
MAX_CHARS = 60_000
"""GitHub refuses comments over 65,536 characters; the comment stays within this budget."""
ERROR_CHARS = 4_000
"""At most this much of one error message is shown; the job log has the rest."""
ARROW = "→"
ROW_ORDER = (PRUNE, "delete", "replace", "update", "create", ADOPT)
"""Rows of a site, most destructive first: when a long site is cut, the safest rows go."""
REPLACE_TEXT = "delete, then create (new device_id)"
PRUNE_TEXT = "in CHeKT, in no site file: `pulumi up` deletes it (`prune: true`)"
NAMED_SITES = 5
"""At most this many sites are named in one note."""


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


def plain_text(text: str) -> str:
    """Text from outside (an API's error message) as literal markdown on one line."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", " ".join(text.split()))


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
    if action in ("create", RECREATE):
        return f"{label}: {value_text(change.new)}"
    if action in ("delete", PRUNE):
        return f"{label}: {value_text(change.old)}"
    text = f"{label}: {value_text(change.old)} {ARROW} {value_text(change.new)}"
    return text + (" (changed outside git)" if change.drift else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counts(summary: PreviewSummary, changes: list[DeviceChange]) -> list[str]:
    found = Counter(change.action for change in changes)
    actions = list(ACTIONS)
    if summary.live_checked:
        actions.insert(1, ADOPT)
    counts = [f"{found[action]} to {action}" for action in actions]
    if found[PRUNE]:
        counts.append(f"{found[PRUNE]} to prune")
    other = sum(n for action, n in found.items() if action not in (*ACTIONS, ADOPT, PRUNE, RESTORE, RECREATE))
    if other:
        counts.append(f"{other} other")
    return counts


def total_line(summary: PreviewSummary) -> str:
    unchanged = f"{summary.unchanged} unchanged"
    if not summary.unchanged_is_device_count:
        unchanged = f"{summary.unchanged} resources unchanged"
    if summary.planned:
        return f"**{TITLE}: {', '.join(_counts(summary, summary.planned))}** ({unchanged})"
    if summary.drift:
        return f"**{TITLE}: no changes from the files** ({unchanged})"
    return f"**{TITLE}: no changes** ({unchanged})"


def drift_line(summary: PreviewSummary) -> str | None:
    """What refresh found, or None when the preview did not refresh."""
    if not summary.refreshed:
        return None
    deleted = summary.count(RECREATE)
    changed = len(summary.drift) - deleted
    if not changed and not deleted:
        return "_No drift: every live device is as the last `pulumi up` left it._"
    found = [f"{_plural(changed, 'device')} changed outside git"] if changed else []
    found += [f"{_plural(deleted, 'device')} deleted outside git"] if deleted else []
    return f"**Drift: {', '.join(found)}**: `pulumi up` puts {'it' if changed + deleted == 1 else 'them'} back as the files say."


def notes(summary: PreviewSummary) -> list[str]:
    """What the reviewer must know the summary could not check."""
    warnings = [f"{_site_name(key or (None, None))}: {text}" for key, text in summary.warnings]
    warnings += summary.live_notes
    lines = [f"_⚠ {plain_text(note)}_" for note in warnings[:10]]
    if len(warnings) > 10:
        lines.append(more_line(len(warnings) - 10, "more warnings"))
    if not summary.live_checked and summary.count("create"):
        lines.append(
            "_Creates were not checked against the live sites: a device that already exists in CHeKT "
            "is adopted, not created (`chekt-devices summarize --live` tells them apart)._"
        )
    existing = summary.unchanged or any(c.action not in ("create", ADOPT) for c in summary.changes)
    if not summary.refreshed and existing:  # (a stack with no devices yet has nothing to refresh)
        unknown = bool(summary.unlisted) or not summary.sites
        also = ", and devices that no site file declares," if unknown else ""
        lines.append(
            f"_Not refreshed: changes made in CHeKT outside git{also} are not shown (preview with `--refresh`)._"
        )
    return lines + unlisted_notes(summary)


def _sites_text(sites: list[SiteSet]) -> str:
    names = [_site_name(site.key) for site in sites[:NAMED_SITES]]
    more = f" and {len(sites) - NAMED_SITES} more" if len(sites) > NAMED_SITES else ""
    return "; ".join(names) + more


def _by_reason(sites: Iterable[SiteSet]) -> dict[str, list[SiteSet]]:
    groups: dict[str, list[SiteSet]] = defaultdict(list)
    for site in sites:
        groups[site.unlisted].append(site)
    return groups


def unlisted_notes(summary: PreviewSummary) -> list[str]:
    """The sites whose devices that no file declares this preview could not list, and why.

    A site that sets ``prune`` is always named: `pulumi up` deletes devices the summary cannot show.
    Without ``--refresh`` the other sites are covered by the "Not refreshed" note.
    """
    lines = [
        f"_⚠ `prune: true` at {_sites_text(sites)} ({reason}): `pulumi up` deletes the devices there "
        "that no site file declares, and this preview did not list them._"
        for reason, sites in _by_reason(s for s in summary.unlisted if s.prune).items()
    ]
    if summary.refreshed:
        lines += [
            f"_Devices that no site file declares were not checked at {_sites_text(sites)} ({reason})._"
            for reason, sites in _by_reason(s for s in summary.unlisted if not s.prune).items()
            if reason != NOT_REFRESHED
        ]
    return lines


def not_in_git_line(summary: PreviewSummary) -> str | None:
    """How many live devices no site file declares, at sites that do not prune them."""
    count = sum(len(devices) for _, devices in summary.not_in_git)
    if not count:
        return None
    them = "it" if count == 1 else "them"
    return (
        f"**Not in git: {_plural(count, 'device')}** in CHeKT that no site file declares: `pulumi up` "
        f"leaves {them} alone (declare {them}, delete {them} in CHeKT, or set `prune: true` in the site file)."
    )


def not_in_git_section(summary: PreviewSummary) -> Section | None:
    found = summary.not_in_git
    if not found:
        return None
    header = ["", "### Not in git", "", "| Site | Device | Zone | Type |", "| --- | --- | --- | --- |"]
    rows = [
        f"| {site.dealer_id}/{site.site_id} | {code(device.external_id)}{_device_id_text(device.device_id)} "
        f"| {value_text(device.zone)} | {value_text(device.device_type)} |"
        for site, devices in found
        for device in devices
    ]
    return Section(header, rows)


def _device_id_text(shown: Any) -> str:
    if shown in (None, "", ABSENT):
        return ""
    plain = isinstance(shown, int | str) and str(shown).isdigit()
    return f" (device {shown if plain else value_text(shown)})"


def _device_cell(change: DeviceChange) -> str:
    device = code(change.external_id)
    return device + _device_id_text(change.device_id) if change.action != "create" else device


def _details(change: DeviceChange) -> str:
    parts = [f"⚠ {plain_text(change.note)}"] if change.note else []
    if change.action == "replace":
        parts.append(REPLACE_TEXT)
    if change.action == PRUNE:
        parts.append(PRUNE_TEXT)
    parts += [field_text(f, change.action) for f in change.fields]
    if not change.fields:
        parts.append("_no field changes_" if change.action == ADOPT else "_no field changes shown_")
    return "<br>".join(parts)


def _row(change: DeviceChange) -> str:
    return f"| {change.action} | {_device_cell(change)} | {_details(change)} |"


def _drift_text(change: DeviceChange) -> str:
    if change.action == RECREATE:
        return "deleted outside git: re-created from the file (new device_id)"
    drifted = [f for f in change.fields if f.drift]
    fields = [f"{f.name} {value_text(f.old)} {ARROW} {value_text(f.new)} (file)" for f in drifted]
    return "changed outside git: " + "<br>".join(fields)


def _site_name(key: tuple[int | None, int | None]) -> str:
    dealer, site = key
    return "an unknown site" if dealer is None or site is None else f"dealer {dealer}, site {site}"


def _order(change: DeviceChange) -> tuple[int, str, str]:
    rank = ROW_ORDER.index(change.action) if change.action in ROW_ORDER else len(ROW_ORDER)
    return rank, change.action, change.external_id


def _site_key(key: tuple[int | None, int | None]) -> tuple[bool, int, bool, int]:
    return (key[0] is None, key[0] or 0, key[1] is None, key[1] or 0)


def _by_site(
    changes: Iterable[DeviceChange],
) -> list[tuple[tuple[int | None, int | None], list[DeviceChange]]]:
    groups: dict[tuple[int | None, int | None], list[DeviceChange]] = defaultdict(list)
    for change in changes:
        groups[(change.dealer_id, change.site_id)].append(change)
    return [(key, sorted(groups[key], key=_order)) for key in sorted(groups, key=_site_key)]


def drift_section(summary: PreviewSummary) -> Section | None:
    drift = sorted(summary.drift, key=lambda c: (_site_key((c.dealer_id, c.site_id)), c.external_id))
    if not drift:
        return None
    header = ["", "### Changed outside git", "", "| Site | Device | Correction |", "| --- | --- | --- |"]
    rows = [
        f"| {change.dealer_id}/{change.site_id} | {_device_cell(change)} | {_drift_text(change)} |"
        for change in drift
    ]
    return Section(header, rows)


def site_sections(summary: PreviewSummary) -> list[Section]:
    sections = []
    for key, changes in _by_site(summary.planned):
        heading = f"### {_site_name(key).capitalize()}: {', '.join(_site_counts(summary, changes))}"
        header = ["", heading, "", "| Action | Device | Changes |", "| --- | --- | --- |"]
        sections.append(Section(header, [_row(change) for change in changes]))
    return sections


def _site_counts(summary: PreviewSummary, changes: list[DeviceChange]) -> list[str]:
    return [count for count in _counts(summary, changes) if not count.startswith("0 ")]


def _capped(error: str, limit: int = ERROR_CHARS) -> str:
    if len(error) <= limit:
        return error
    return f"{error[:limit]}\n… ({len(error) - limit} more characters, see the job log)"


def render_failure(errors: list[str], max_chars: int = MAX_CHARS) -> str:
    """The comment for a preview that failed: its error messages (each shown once) in a code block."""
    count = len(errors)
    repeats = Counter(errors)
    unique = [
        _capped(error) + (f"\n(reported {repeats[error]} times)" if repeats[error] > 1 else "")
        for error in repeats
    ]
    unique = unique or ["the preview failed without an error message"]
    heading = f"**{TITLE}: preview failed** ({_plural(count, 'error')})"
    shown: list[str] = []
    budget = (max_chars or sys.maxsize) - cost([heading, "", "```text", "```", "", more_line(count)]) - 32
    for error in unique:
        if cost(["", *shown, error]) > budget:
            break
        shown.append(error)
    text = "\n\n".join(shown)
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    hidden = len(unique) - len(shown)
    tail = f"\n{more_line(hidden, 'more errors')}\n" if hidden else ""
    return f"{heading}\n\n{fence}text\n{text}\n{fence}\n{tail}"


def render(summary: PreviewSummary, max_chars: int = MAX_CHARS) -> str:
    """The markdown comment: totals, drift, notes, then one table per site; within ``max_chars``."""
    if summary.errors:
        return render_failure(summary.errors, max_chars)
    head = [total_line(summary)]
    head += [line for line in (drift_line(summary), not_in_git_line(summary)) if line]
    head += notes(summary)
    tables = [drift_section(summary), not_in_git_section(summary)]
    sections = [table for table in tables if table] + site_sections(summary)
    budget = (max_chars or sys.maxsize) - cost(head)
    lines = head + fit(sections, budget, lambda n: more_line(n, "more sites"))
    return "\n".join(lines) + "\n"


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    return Path(source).read_text(encoding="utf-8")


def _with_live(summary: PreviewSummary, args: argparse.Namespace) -> tuple[PreviewSummary, ChektError | None]:
    if summary.errors or not sites_to_check(summary.changes):
        return summary, None
    try:
        client = client_from(args)
    except ChektError as error:
        return summary, error
    with client:
        return check_live(summary, client.list_devices)


def _write_full(path: Path | None, summary: PreviewSummary) -> None:
    if path is not None:
        path.write_text(render(summary, 0), encoding="utf-8")


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
    live_error = None
    if args.live:
        summary, live_error = _with_live(summary, args)
        if live_error is not None and not summary.live_notes:
            summary.live_notes.append(f"creates could not be checked against the live sites: {live_error}")
    sys.stdout.write(render(summary, args.max_chars))
    try:
        _write_full(args.full, summary)
    except OSError as error:
        return report_error(f"cannot write {args.full}: {error.strerror or error}")
    if summary.errors:
        print(f"the preview failed with {len(summary.errors)} error(s)", file=sys.stderr)
        return EXIT_FAILED
    if live_error is not None:
        return report_error(f"creates could not be checked against the live sites: {live_error}")
    return EXIT_OK


def _chars(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of characters, got {text!r}") from None
    if value != 0 and value < 2_000:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or at least 2000")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="turn `pulumi preview --json` into a markdown pull-request comment",
        description=(
            "Read the output of `pulumi preview --json` (add --show-sames to count unchanged devices "
            "exactly, --refresh to show drift) and print a markdown summary: the totals, the "
            "changes made outside git that `pulumi up` will undo, then per site the devices to "
            "create, adopt, update, replace and delete with old → new values. Secrets are shown as "
            "[secret]. The summary never exceeds --max-chars: the longest sites are cut. With --refresh "
            "it also lists the live devices that no site file declares (not in git), or those that "
            "`prune: true` will delete. With --live the creates and zone moves are checked against "
            "the live sites (one list call per site with creates or zone-changing updates): devices "
            "that already exist show as adopt, and each device that `pulumi up` will fail (a zone "
            "held by a device that no site file declares, an adoption of another device_type) is "
            "named, with the holder and its zone. " + ENVIRONMENT_HELP + " Exit status: 0 "
            "summarized, 1 the preview failed, the input is not a preview or the live check failed "
            "(a comment saying so is still printed), 2 usage error."
        ),
    )
    parser.add_argument(
        "preview", nargs="?", default="-", metavar="FILE", help="the preview JSON (default: - for stdin)"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help=(
            "check creates and zone moves against the live sites: an existing external_device_id is "
            "an adoption; a zone held by a device that no site file declares fails"
        ),
    )
    parser.add_argument(
        "--max-chars",
        type=_chars,
        default=MAX_CHARS,
        metavar="N",
        help=f"size budget of the comment (default {MAX_CHARS:,}; GitHub's limit is 65,536; 0: none)",
    )
    parser.add_argument(
        "--full", type=Path, metavar="FILE", help="also write the summary without a size limit to FILE"
    )
    add_connection_arguments(parser)
    parser.set_defaults(func=run)
