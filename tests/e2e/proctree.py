"""The processes of a Pulumi run, and their peak memory and CPU, read from Linux's /proc while they run.

No dependency (psutil would do the same): every ``interval`` seconds the sampler walks the tree below
the root pid through ``/proc/<pid>/task/<tid>/children`` and keeps, per pid, the highest ``VmHWM``
(peak resident set, which the kernel already keeps as a high-water mark, so sampling misses nothing)
and the last ``utime + stime``. CPU of a process that exits between two samples is undercounted by
at most one interval; ``resource.getrusage(RUSAGE_CHILDREN)`` around the run gives the exact total.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
ROLES = ("engine", "langhost", "program", "provider")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessSample:
    """What one process of the tree used, as far as the sampler saw it."""

    pid: int
    role: str
    peak_rss_kib: int = 0
    cpu_seconds: float = 0.0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # the process exited between listing and reading
        return ""


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's list: a child belongs to the thread that forked it)."""
    found: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        found += [int(child) for child in _read(task / "children").split()]
    return found


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (bounded by the number of pids on the machine)."""
    seen: list[int] = []
    todo = [root]
    while todo and len(seen) < 100_000:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        todo += children(pid)
    return seen


def cmdline(pid: int) -> list[str]:
    return [part for part in _read(PROC / str(pid) / "cmdline").split("\0") if part]


def peak_rss_kib(pid: int) -> int:
    for line in _read(PROC / str(pid) / "status").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    text = _read(PROC / str(pid) / "stat")
    if not text:
        return 0.0
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
    rest = text.rsplit(")", 1)[-1].split()
    return (int(rest[11]) + int(rest[12])) / TICKS


def classify(argv: list[str]) -> str:
    """Which part of a Pulumi run a process is, from its command line (one of ROLES, or "other")."""
    name = Path(argv[0]).name
    if name == "pulumi":
        return "engine"
    if name == "pulumi-language-python":
        return "langhost"
    if any(part.endswith("pulumi-language-python-exec") for part in argv):
        return "program"
    if "pulumi.dynamic" in argv:
        return "provider"
    return "other"


class TreeSampler:
    """Samples the tree below ``root`` on a background thread until ``stop()``; use as a context manager."""

    def __init__(self, root: int, classify: Callable[[list[str]], str], interval: float = 0.1) -> None:
        self.root = root
        self.classify = classify
        self.interval = interval
        self.samples: dict[int, ProcessSample] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="proctree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def sample_once(self) -> None:
        for pid in descendants(self.root):
            argv = cmdline(pid)
            if not argv:
                continue
            # Classified again every time: a child seen between fork and exec still shows its parent's
            # command line (the provider's python starts as a copy of its sh wrapper).
            role = self.classify(argv)
            sample = self.samples.setdefault(pid, ProcessSample(pid, role))
            sample.role = role
            sample.peak_rss_kib = max(sample.peak_rss_kib, peak_rss_kib(pid))
            sample.cpu_seconds = max(sample.cpu_seconds, cpu_seconds(pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval)

    def by_role(self) -> dict[str, RoleTotals]:
        """Per role: the largest peak RSS of one process, CPU added up, and how many processes."""
        totals: dict[str, RoleTotals] = {}
        for sample in self.samples.values():
            role = totals.setdefault(sample.role, RoleTotals())
            role.processes += 1
            role.peak_rss_kib = max(role.peak_rss_kib, sample.peak_rss_kib)
            role.cpu_seconds += sample.cpu_seconds
        return totals


@dataclass
class RoleTotals:
    processes: int = 0
    peak_rss_kib: int = 0
    cpu_seconds: float = 0.0
