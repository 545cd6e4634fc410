"""budget.fit: a hard size limit that cuts the longest sections first and says what it left out."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pulumi_chekt.cli.budget import Section, cost, fit


def section(name: str, rows: int, width: int = 40) -> Section:
    return Section([f"### {name}"], [f"| {name} {i:04d} ".ljust(width, "x") + "|" for i in range(rows)])


def hidden(lines: list[str]) -> list[int]:
    return [int(m[1]) for line in lines if (m := re.search(r"… and (\d+) more \(see", line))]


def test_everything_fits_unchanged() -> None:
    sections = [section("a", 3), section("b", 2)]
    lines = fit(sections, 10_000)
    assert lines == ["### a", *sections[0].rows, "### b", *sections[1].rows]


def test_the_longest_section_is_cut_and_short_ones_stay_whole() -> None:
    short, long = section("short", 3), section("long", 500)
    lines = fit([long, short], 4_000)
    assert cost(lines) <= 4_000
    assert all(row in lines for row in short.rows)
    shown = [line for line in lines if line.startswith("| long")]
    assert 0 < len(shown) < 500
    assert hidden(lines) == [500 - len(shown)]
    assert lines.index("### short") > lines.index("### long")  # order kept


def test_sections_that_do_not_fit_at_all_are_counted() -> None:
    sections = [section(f"site {i}", 5) for i in range(200)]
    lines = fit(sections, 2_000, lambda n: f"_… and {n} more sites (see the job log)._")
    assert cost(lines) <= 2_000
    shown = [line for line in lines if line.startswith("### ")]
    left_out = int(re.search(r"and (\d+) more sites", lines[-1])[1])  # type: ignore[index]
    assert 0 < len(shown) < 200
    assert len(shown) + left_out == 200


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=60), max_size=30),
    width=st.integers(min_value=5, max_value=300),
    budget=st.integers(min_value=200, max_value=20_000),
)
def test_never_over_budget_and_every_row_is_shown_or_counted(
    sizes: list[int], width: int, budget: int
) -> None:
    sections = [section(f"s{i}", n, width) for i, n in enumerate(sizes)]
    lines = fit(sections, budget, lambda n: f"_… and {n} more sites (see the job log)._")
    assert cost(lines) <= budget
    shown_sections = [s for s in sections if s.header[0] in lines]
    rows = sum(1 for line in lines if line.startswith("| s"))
    assert rows + sum(hidden(lines)) == sum(len(s.rows) for s in shown_sections)
