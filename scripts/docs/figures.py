"""The docs' figures, drawn with matplotlib and committed as SVG (``make figures``).

- ``docs/figures/bench-by-operation.svg``: per benchmark cell and operation, wall seconds of the project,
  the floor (no-op provider) and the naive per-device provider, and the API requests per device they
  sent, from the JSON of ``benchmarks/engine_bench.py --json`` (``--bench-json``; default the committed
  short run ``benchmarks/results/bench-docs.json``).
- ``docs/figures/device-write-path.svg``: one device's way from its site file through the program, the
  engine and the provider to a bulk request, as the per-site record design draws it.

The SVGs keep their text as text and carry no date, so drawing them again from the same input gives
the same bytes: a figure changes in git only when its input or this script does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("svg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / "docs" / "figures"
BENCH_JSON = REPO / "benchmarks" / "results" / "bench-docs.json"
BENCH_SVG = FIGURES / "bench-by-operation.svg"
PATH_SVG = FIGURES / "device-write-path.svg"

OPS = ("up", "preview", "refresh", "update", "destroy")
VARIANTS = {"project": "#1f6fb4", "floor": "#9a9a9a", "naive": "#e07b24"}
"""The variants drawn, in this order, with their colours; others in the JSON are left out."""
LABELS = {
    "project": "project (pulumi-chekt)",
    "floor": "floor (no-op provider)",
    "naive": "naive (1 request per device)",
}


def _style() -> None:
    mpl.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text: smaller, searchable, no glyph paths
            "svg.hashsalt": "pulumi-chekt-docs",  # stable ids, so the same input gives the same file
            "font.family": "sans-serif",  # DejaVu Sans here; a browser without it takes its own sans-serif
            "font.size": 9,
        }
    )


def _save(figure: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(figure)


# ---- the benchmark chart ------------------------------------------------------------------------------


def _cells(rows: Sequence[dict[str, Any]]) -> list[tuple[int, int, int, str]]:
    keys = [
        (r["cell"]["devices"], r["cell"]["sites"], r["cell"]["latency_ms"], r["cell"]["checkpoints"])
        for r in rows
    ]
    return list(dict.fromkeys(keys))


def _cell_title(cell: tuple[int, int, int, str]) -> str:
    devices, sites, latency, checkpoints = cell
    return f"{devices:,} devices, {sites} site{'s' if sites != 1 else ''}, {latency} ms API latency, checkpoints {checkpoints}"


def _bars(axes: Axes, values: dict[str, list[float | None]], fmt: str, ylabel: str) -> None:
    drawn = [v for v in VARIANTS if v in values]
    width = 0.8 / max(1, len(drawn))
    for index, variant in enumerate(drawn):
        xs = [op + (index - (len(drawn) - 1) / 2) * width for op in range(len(OPS))]
        heights = [value if value is not None else 0.0 for value in values[variant]]
        bars = axes.bar(xs, heights, width, color=VARIANTS[variant], label=LABELS[variant])
        labels = [format(value, fmt) if value is not None else "n/a" for value in values[variant]]
        axes.bar_label(bars, labels=labels, fontsize=7, padding=1)
    axes.set_xticks(range(len(OPS)), OPS)
    axes.set_ylabel(ylabel)
    axes.margins(y=0.18)
    axes.spines[["top", "right"]].set_visible(False)


def bench_chart(rows: Sequence[dict[str, Any]], source: str, out: Path) -> None:
    """One row per cell: wall seconds per operation (left), API requests per device (right)."""
    _style()
    cells = _cells(rows)
    if not cells:
        raise ValueError(f"{source}: no measurements")
    figure, grid = plt.subplots(len(cells), 2, figsize=(11, 2.6 * len(cells) + 0.6), squeeze=False)
    for row, cell in enumerate(cells):
        found = {
            (r["variant"], r["op"]): r
            for r in rows
            if (r["cell"]["devices"], r["cell"]["sites"], r["cell"]["latency_ms"], r["cell"]["checkpoints"])
            == cell
        }
        variants = [v for v in VARIANTS if any(key[0] == v for key in found)]
        wall = {
            v: [found[v, op]["wall_s"] if (v, op) in found and found[v, op]["ok"] else None for op in OPS]
            for v in variants
        }
        per_device = {
            v: [found[v, op]["requests_total"] / cell[0] if (v, op) in found else None for op in OPS]
            for v in variants
            if v != "floor"  # it never calls the API
        }
        left, right = grid[row]
        _bars(left, wall, ".1f", "wall seconds")
        _bars(right, per_device, ".2f", "API requests per device")
        left.set_title(_cell_title(cell), loc="left", fontsize=9, fontweight="bold")
    handles, labels = grid[0][0].get_legend_handles_labels()
    figure.legend(
        handles, labels, loc="upper center", ncol=len(labels), frameon=False, bbox_to_anchor=(0.5, 1.0)
    )
    figure.text(0.5, -0.01, f"from {source}", ha="center", fontsize=7, color="#666666")
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (2.6 * len(cells) + 0.6)))
    _save(figure, out)


# ---- one device's write path ------------------------------------------------------------------------------

LANES = {
    "file": (1.4, "Site file\nsites/dealer-2-site-3.yaml"),
    "program": (4.8, "Program\n(SiteDevices component)"),
    "engine": (8.2, "Pulumi engine"),
    "provider": (11.6, "Provider\n(dynamic, one process)"),
    "api": (15.0, "CHeKT API"),
}
TOP = 0.0
STEP = 0.78


def _lane(name: str) -> float:
    return LANES[name][0]


def _box(
    axes: Axes,
    x: float,
    y: float,
    text: str,
    *,
    width: float,
    color: str,
    size: float = 8,
    code: bool = False,
) -> None:
    lines = text.count("\n") + 1
    height = 0.2 + 0.19 * lines
    axes.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.04,rounding_size=0.08",
            facecolor=color,
            edgecolor="#555555",
            linewidth=0.8,
        )
    )
    if code:  # a file's lines: left-aligned, fixed width
        axes.text(x - width / 2 + 0.12, y, text, ha="left", va="center", fontsize=size, family="monospace")
    else:
        axes.text(x, y, text, ha="center", va="center", fontsize=size, linespacing=1.3)


def _arrow(
    axes: Axes, lanes: tuple[str, str], y: float, label: str, number: int, *, dashed: bool = False
) -> None:
    x0, x1 = (_lane(lane) for lane in lanes)
    axes.annotate(
        "",
        xy=(x1, y),
        xytext=(x0, y),
        arrowprops={
            "arrowstyle": "-|>",
            "color": "#333333",
            "linewidth": 1.1,
            "linestyle": (0, (4, 3)) if dashed else "-",
            "shrinkA": 2,
            "shrinkB": 2,
        },
    )
    axes.text(
        (x0 + x1) / 2,
        y + 0.07,
        f"{number}  {label}",
        ha="center",
        va="bottom",
        fontsize=8,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
    )


def write_path_diagram(out: Path) -> None:
    """A sequence diagram: lanes left to right, time downwards, numbered messages."""
    _style()
    steps = 12
    bottom = TOP - STEP * (steps + 1)
    figure, axes = plt.subplots(figsize=(15.5, 9.2))
    axes.set_xlim(-0.3, 16.7)
    axes.set_ylim(bottom - 2.1, TOP + 1.0)
    axes.axis("off")
    for x, title in LANES.values():
        axes.plot([x, x], [TOP, bottom], color="#bbbbbb", linewidth=1, linestyle=(0, (2, 3)), zorder=0)
        _box(axes, x, TOP + 0.45, title, width=2.9, color="#eef3fa", size=9)

    def y(n: float) -> float:
        return TOP - STEP * n

    _box(
        axes,
        _lane("file"),
        y(1.05),
        'devices:\n  - external_device_id: cam-front\n    zone_number: "006"\n  - ...',
        width=2.7,
        color="#fff8e6",
        size=7.5,
        code=True,
    )
    _arrow(axes, ("file", "program"), y(2), "read + validate the whole file", 1)
    _arrow(
        axes, ("program", "engine"), y(2.8), "register chekt:Site 2/3 (inputs: the declared device set)", 2
    )
    _arrow(axes, ("engine", "provider"), y(3.6), "Site step: previous set (state) + new set", 3)
    _arrow(axes, ("provider", "api"), y(5.3), "GET the site's live devices", 4)
    _box(
        axes,
        _lane("provider"),
        y(6.35),
        "plan the whole site: removals, zone moves\nand swaps, creates, updates, adoption",
        width=3.7,
        color="#e8f4ea",
    )
    _arrow(axes, ("provider", "api"), y(7.4), "bulk delete, bulk update, bulk create (≤ 100 items each)", 5)
    axes.text(
        (_lane("provider") + _lane("api")) / 2,
        y(7.4) - 0.1,
        "cam-front's zone change is one item of the site's bulk update",
        ha="center",
        va="top",
        fontsize=7.5,
        style="italic",
        color="#444444",
    )
    _arrow(axes, ("api", "provider"), y(8.3), "one result per item", 6, dashed=True)
    _arrow(
        axes, ("provider", "engine"), y(9.0), "Site step done; each device's result recorded", 7, dashed=True
    )
    _arrow(
        axes,
        ("program", "engine"),
        y(9.8),
        "register Device 2/3/cam-front (it waited: it depends on the Site)",
        8,
    )
    _arrow(axes, ("engine", "provider"), y(10.6), "Device step 2/3/cam-front", 9)
    _arrow(axes, ("provider", "engine"), y(11.4), "its recorded result: no request", 10, dashed=True)
    _box(axes, _lane("engine"), y(12.35), "state: cam-front\ndevice_id, fields", width=2.2, color="#eef3fa")
    note = (
        "Without the site's step — `pulumi up --target` of one device, or a Device used on its own — a Device step writes\n"
        "its device itself (the per-device path); writes of device steps that run at the same time are coalesced per site.\n"
        "`prune: true` in a site file: the Site step also deletes live devices that no file declares."
    )
    axes.text(-0.3, bottom - 0.35, note, ha="left", va="top", fontsize=8, linespacing=1.5, color="#333333")
    _save(figure, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.docs.figures", description=__doc__)
    parser.add_argument(
        "--bench-json",
        type=Path,
        default=BENCH_JSON,
        help=f"engine_bench --json output (default {BENCH_JSON.relative_to(REPO)})",
    )
    args = parser.parse_args(argv)
    rows = json.loads(args.bench_json.read_text(encoding="utf-8"))
    source = args.bench_json.resolve()
    shown = source.relative_to(REPO) if source.is_relative_to(REPO) else source
    bench_chart(rows, str(shown), BENCH_SVG)
    write_path_diagram(PATH_SVG)
    for path in (BENCH_SVG, PATH_SVG):
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
