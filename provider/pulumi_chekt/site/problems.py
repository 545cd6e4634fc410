"""A site-file problem: which file, where in it (JSON pointer and, for YAML/JSON text, the line), and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SiteProblem:
    """Printed as ``file:line: /pointer: reason``; a problem of the whole file (it cannot be read or
    parsed, or is not a mapping) has no pointer and prints as ``file:line: reason``."""

    file: str
    pointer: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.pointer}: {self.message}" if self.pointer else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SiteValidationError(Exception):
    """Every problem found in one or more site files, reported at once."""

    def __init__(self, problems: Sequence[SiteProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in site files:\n{lines}")
