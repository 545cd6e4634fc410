"""README "Quick start", run as written: the wheel in a new virtualenv, a new folder, the real Pulumi CLI.

The commands are the README's own code block, run by bash in a folder of their own, with a HOME
of their own (so ``~/pulumi-chekt/dist/<wheel>`` is where the README says it is). Only three things
are not the README's: the port (8080 may be taken here; a free one is put in its place), the
passphrase and the confirmation that a person would type (PULUMI_CONFIG_PASSPHRASE and
PULUMI_SKIP_CONFIRMATIONS in the environment, as the README mentions for the passphrase), and
PULUMI_HOME (Pulumi reads the home folder from the user database, so a HOME of our own would not
keep its credentials file out of the real one).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import pulumi_bin_dir
from tests.packaging.conftest import REPO, outside_env, python3_only

pytestmark = pytest.mark.packaging

README_PORT = "8080"
QUICK_START_TIMEOUT_SECONDS = 1500


def quick_start_commands(readme: str) -> str:
    """The ```bash blocks of the README's "## Quick start" section, joined."""
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert blocks, "the Quick start has no ```bash block"
    return "".join(blocks)


def echoed(commands: str) -> str:
    """Each command preceded by a line that prints it, for a transcript that reads like a terminal."""
    lines = []
    for line in commands.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            lines.append(f"printf '%s\\n' {shlex.quote('$ ' + line)}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def device_resources(state: dict[str, object]) -> list[dict[str, object]]:
    deployment = state["deployment"]
    assert isinstance(deployment, dict)
    return [r for r in deployment.get("resources", []) if r["type"].endswith("chekt:Device")]


@pytest.mark.timeout(QUICK_START_TIMEOUT_SECONDS + 60)
def test_readme_quick_start_runs_as_written(wheel: Path, tmp_path: Path) -> None:
    pulumi_bin = pulumi_bin_dir()
    assert pulumi_bin is not None, "set PULUMI_BIN_DIR (make test-packaging does)"
    commands = quick_start_commands((REPO / "README.md").read_text(encoding="utf-8"))

    # The wheel the README names is the one this checkout builds, at the place the README names.
    [named] = re.findall(r"^WHEEL=~/pulumi-chekt/dist/(\S+)$", commands, flags=re.M)
    assert named == wheel.name, f"README names {named}, the build makes {wheel.name}"
    home = tmp_path / "home"
    (home / "pulumi-chekt" / "dist").mkdir(parents=True)
    shutil.copy(wheel, home / "pulumi-chekt" / "dist" / wheel.name)

    assert commands.count(README_PORT) >= 2
    port = free_port()
    script = "set -e\n" + echoed(commands.replace(README_PORT, str(port)))
    work = tmp_path / "work"
    work.mkdir()
    env = outside_env(
        [pulumi_bin, python3_only(tmp_path / "python")],
        home,
        {
            "PULUMI_CONFIG_PASSPHRASE": "quick-start-passphrase",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # Pulumi finds its home through the user database, not $HOME: keep it in this test's folder.
            "PULUMI_HOME": str(home / ".pulumi"),
        },
    )
    log = tmp_path / "transcript.txt"
    with log.open("w", encoding="utf-8") as output:
        shell = subprocess.Popen(
            ["bash", "-c", script],
            cwd=work,
            env=env,
            stdout=output,  # a file, not a pipe: a server left running must not keep us waiting
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so a left-over chekt-local-api can be stopped
        )
        try:
            shell.wait(timeout=QUICK_START_TIMEOUT_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)
            if shell.poll() is None:
                shell.kill()
                shell.wait()
    transcript = log.read_text(encoding="utf-8")
    assert shell.returncode == 0, transcript[-8000:]

    project = work / "my-sites"
    for written in ("Pulumi.yaml", "__main__.py", "sites/example-site.yaml", "schemas/site.schema.json"):
        assert (project / written).is_file(), written
    assert "1 site file valid" in transcript
    # the stack, the site's component and its record, 2 devices
    assert re.search(r"\+ 5 to create", transcript), transcript[-4000:]
    assert re.search(r"\+ 5 created", transcript), transcript[-4000:]

    # The state holds the two devices of the example site, with the ids the API gave them.
    exported = subprocess.run(
        [str(pulumi_bin / "pulumi"), "stack", "export", "--stack", "dev"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    devices = device_resources(json.loads(exported.stdout))
    assert sorted(d["outputs"]["external_device_id"] for d in devices) == ["alarm-bridge", "front-door-cam"]  # type: ignore[index]
    assert all(isinstance(d["outputs"]["device_id"], int) for d in devices)  # type: ignore[index]
    printed = [line for line in transcript.splitlines() if not line.startswith("$ ")]
    assert not [line for line in printed if "demo-secret" in line]

    # Nothing left to do: the next preview, in the same activated virtualenv, plans no change.
    again = subprocess.run(
        [str(pulumi_bin / "pulumi"), "preview", "--expect-no-changes", "--stack", "dev"],
        cwd=project,
        env={**env, "PATH": f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
