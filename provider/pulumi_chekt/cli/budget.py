"""Fit sections of markdown lines into a hard character budget (GitHub refuses comments over 65,536).

Every section keeps its header; rows are cut from the end of the *longest* sections first: all
sections get the same allowance of row characters, the largest allowance that fits, so a short
section is shown whole and only the long ones end in "… and N more (see the job log)". When even
the headers do not fit, the last sections are left out and counted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate


def cost(lines: Sequence[str]) -> int:
    """Characters of ``lines`` joined with newlines, each line ending in one."""
    return sum(len(line) + 1 for line in lines)


def more_line(hidden: int, noun: str = "more") -> str:
    return f"_… and {hidden} {noun} (see the job log)._"


@dataclass
class Section:
    """A heading and table header that are always shown, and rows that may be cut from the end."""

    header: list[str]
    rows: list[str]
    footer: list[str] = field(default_factory=list)
    more: Callable[[int], str] = more_line
    """The note that replaces the ``hidden`` rows left out."""

    def __post_init__(self) -> None:
        self._prefix = [0, *accumulate(len(row) + 1 for row in self.rows)]

    def shown(self, allowance: int) -> int:
        """How many leading rows fit in ``allowance`` characters."""
        return bisect_right(self._prefix, allowance) - 1

    def most(self, allowance: int) -> int:
        """An upper bound of the section's size with ``allowance``, monotonic in it."""
        shown = self.shown(allowance)
        return (
            cost(self.header)
            + self._prefix[shown]
            + cost(["", self.more(len(self.rows))])
            + cost(self.footer)
        )

    def lines(self, allowance: int) -> list[str]:
        shown = self.shown(allowance)
        hidden = len(self.rows) - shown
        cut = ["", self.more(hidden)] if hidden else []
        return [*self.header, *self.rows[:shown], *cut, *self.footer]

    @property
    def full(self) -> int:
        return self._prefix[-1]


def fit(sections: Sequence[Section], budget: int, left_out: Callable[[int], str] = more_line) -> list[str]:
    """The lines of ``sections`` in order, at most ``budget`` characters with newlines."""
    kept = list(sections)
    smallest = sum(section.most(0) for section in kept)
    while True:
        dropped = len(sections) - len(kept)
        reserve = cost(["", left_out(dropped)]) if dropped else 0
        if not kept or smallest + reserve <= budget:
            break
        smallest -= kept.pop().most(0)

    def fits(allowance: int) -> bool:
        return sum(section.most(allowance) for section in kept) + reserve <= budget

    low, high = 0, max((section.full for section in kept), default=0)
    while low < high:  # the largest allowance that fits; `most` is monotonic, so bisection is exact
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    lines = [line for section in kept for line in section.lines(low)]
    if dropped:
        lines += ["", left_out(dropped)]
    return lines
