"""Kill a running `pulumi up` (CLI, language host and provider, by pid, SIGKILL) and recover from it.

``interrupt_up`` starts `pulumi up`, waits until a progress count (devices the API holds, write
requests it answered) reaches ``kill_at``, then kills every process of the run at once; ``recover``
follows the steps of docs/interrupted.md.
Each step's CLI result is kept, so a test can assert on what the user sees (warnings, adoptions).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.harness import CliResult, PulumiProject
from tests.e2e.proctree import classify, cmdline, descendants

POLL_SECONDS = 0.05


@dataclass
class Interrupted:
    """What a killed `pulumi up` left behind."""

    output: str
    killed: dict[str, list[int]]  # role -> pids killed
    progress_at_kill: int
    progress_after_kill: int


@dataclass
class Recovery:
    """The CLI runs of the recovery, in order, by step name."""

    steps: dict[str, CliResult] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)  # empty .attrs files removed
    to_adopt: set[str] = field(default_factory=set)  # external ids the final `up` finds in the API only

    def output(self, step: str) -> str:
        return self.steps[step].output


def interrupt_up(
    project: PulumiProject,
    progress: Callable[[], int],
    kill_at: int,
    *,
    timeout: float = 240.0,
) -> Interrupted:
    """Start `pulumi up`, kill -9 the CLI, language host and provider once ``progress() >= kill_at``."""
    argv = [str(project.bin_dir / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive"]
    argv += ["--stack", project.stack]
    log = project.root / "killed-up.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            argv, cwd=project.root, env=project.env(), stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        try:
            while progress() < kill_at:
                if process.poll() is not None:
                    raise AssertionError(
                        f"pulumi up ended ({process.returncode}) before progress {kill_at}:\n"
                        + log.read_text(encoding="utf-8")[-4000:]
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(f"progress below {kill_at} after {timeout} s")
                time.sleep(POLL_SECONDS)
            at_kill = progress()
            pids = descendants(process.pid)
            killed: dict[str, list[int]] = {}
            for pid in pids:
                argv_of = cmdline(pid)
                role = classify(argv_of) if argv_of else "other"
                killed.setdefault(role, []).append(pid)
            for pid in pids:  # all at once, nothing gets to shut down cleanly
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    _wait_gone([pid for group in killed.values() for pid in group])
    return Interrupted(log.read_text(encoding="utf-8"), killed, at_kill, _settled(progress))


def _wait_gone(pids: list[int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if _alive(pid)]
        if not alive:
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"processes still alive after SIGKILL: {alive}")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _settled(progress: Callable[[], int], quiet_seconds: float = 1.0, timeout: float = 30.0) -> int:
    """The progress count once requests already in flight at the kill have landed (stable for a while)."""
    deadline = time.monotonic() + timeout
    last, since = progress(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            break
    return last


BROKEN_STATE = "failed to load checkpoint: EOF"
"""What every command prints when the kill hit the file backend while it rewrote ``<stack>.json.attrs``."""


def empty_state_attrs(project: PulumiProject) -> list[Path]:
    """Zero-byte ``.attrs`` files beside the stack's state in a local file backend (left by a kill)."""
    return [path for path in (project.root / "backend").rglob("*.json.attrs") if path.stat().st_size == 0]


def recover(project: PulumiProject, api_external_ids: Callable[[], set[str]]) -> Recovery:
    """The recovery steps of docs/interrupted.md, in order: repair a torn state write, remove the lock, drop pending
    creates, converge. Each step's CLI result is kept (``Recovery.steps``), and so are the devices the
    final ``up`` must adopt: in the API (``api_external_ids()``) but not in state just before it."""
    recovery = Recovery()
    cancel = project.run("cancel", "--yes", check=False)
    if cancel.returncode != 0 and BROKEN_STATE in cancel.output:
        recovery.repaired = [str(path) for path in empty_state_attrs(project)]
        for path in empty_state_attrs(project):
            path.unlink()
        recovery.steps["cancel (before repair)"] = cancel
        cancel = project.run("cancel", "--yes")
    elif cancel.returncode != 0:
        raise AssertionError(f"pulumi cancel failed:\n{cancel.output[-4000:]}")
    recovery.steps["cancel"] = cancel
    recovery.steps["refresh"] = project.run("refresh", "--clear-pending-creates", "--yes", "--skip-preview")
    in_state = {
        r["outputs"]["external_device_id"] for r in state_devices(json.loads(project.exported_state()))
    }
    recovery.to_adopt = api_external_ids() - in_state
    recovery.steps["up"] = project.up()
    return recovery


def state_devices(exported: dict[str, Any]) -> list[dict[str, Any]]:
    """The Device resources of an exported stack (`pulumi stack export`)."""
    resources = exported.get("deployment", {}).get("resources") or []
    return [
        r for r in resources if r.get("type", "").endswith(":Device") or "chekt:Device" in r.get("urn", "")
    ]


def pending_operations(exported: dict[str, Any]) -> list[dict[str, Any]]:
    return list(exported.get("deployment", {}).get("pending_operations") or [])
