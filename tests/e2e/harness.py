"""Drive the real Pulumi CLI against a throwaway project that runs this package's root program.

Each project lives in its own folder with a local file backend and a passphrase secrets provider,
and gets its CHeKT settings only through stack config (``chekt:*``), as a user's stack would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "e2e-passphrase-not-secret"
CLI_TIMEOUT_SECONDS = 300


def pulumi_bin_dir() -> Path | None:
    """Where the CLI is: $PULUMI_BIN_DIR, the build of scripts/get-pulumi.sh, or PATH."""
    candidates = [os.environ.get("PULUMI_BIN_DIR", ""), str(REPO / ".tools" / "pulumi" / "bin")]
    on_path = shutil.which("pulumi")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "pulumi").is_file():
            return Path(candidate)
    return None


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class PulumiProject:
    """A Pulumi project folder whose program is ``pulumi_chekt.program.main`` over ``sites/*.yaml``."""

    root: Path
    bin_dir: Path
    stack: str = "e2e"
    history: list[CliResult] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    """Set for every CLI run, after the defaults (e.g. ``PULUMI_SKIP_CHECKPOINTS``)."""

    @property
    def sites_dir(self) -> Path:
        return self.root / "sites"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEKT_", "PULUMI_"))}
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            PULUMI_BACKEND_URL=(self.root / "backend").as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_HOME=str(self.root / "pulumi-home"),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            # The language host built here runs $PULUMI_PYTHON_CMD (see scripts/get-pulumi.sh).
            PULUMI_PYTHON_CMD=sys.executable,
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        return env

    def create(
        self,
        base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        program: str | None = "sites",
    ) -> PulumiProject:
        """Initialize the stack. With ``program="sites"`` write a project running the root program over
        ``sites/*.yaml``; with ``None`` keep the Pulumi.yaml and program already in the folder."""
        (self.root / "backend").mkdir(parents=True, exist_ok=True)
        venv = Path(sys.executable).parent.parent
        if program == "sites":
            self.sites_dir.mkdir(parents=True, exist_ok=True)
            project = {
                "name": "chekt-e2e",
                "runtime": {"name": "python", "options": {"virtualenv": str(venv)}},
            }
            (self.root / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
            (self.root / "__main__.py").write_text(
                "from pulumi_chekt.program import main\n\nmain()\n", encoding="utf-8"
            )
        else:
            # The copied project's relative virtualenv would not resolve from a temporary folder.
            project = yaml.safe_load((self.root / "Pulumi.yaml").read_text(encoding="utf-8"))
            project["runtime"]["options"]["virtualenv"] = str(venv)
            (self.root / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
        self.run("stack", "init", self.stack)
        if program == "sites":
            self.run("config", "set", "--path", "chekt:sites[0]", "sites/*.yaml")
        # --plaintext: the CLI would otherwise refuse "tokenUrl" because the key name looks secret.
        self.run("config", "set", "--plaintext", "chekt:baseUrl", base_url)
        self.run("config", "set", "--plaintext", "chekt:tokenUrl", token_url)
        self.run("config", "set", "--plaintext", "chekt:clientId", client_id)
        self.run("config", "set", "--secret", "chekt:clientSecret", client_secret)
        return self

    def write_site(self, name: str, site: dict[str, Any]) -> Path:
        path = self.sites_dir / name
        path.write_text(yaml.safe_dump(site, sort_keys=False), encoding="utf-8")
        return path

    def run(self, *args: str, check: bool = True) -> CliResult:
        argv = [str(self.bin_dir / "pulumi"), *args, "--non-interactive"]
        if args and args[0] not in ("stack", "config", "version", "login"):
            argv += ["--stack", self.stack]
        done = subprocess.run(
            argv,
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
            check=False,
        )
        result = CliResult(argv, done.returncode, done.stdout, done.stderr)
        self.history.append(result)
        if check and done.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({done.returncode}):\n{result.output[-6000:]}"
            )
        return result

    def up(self) -> CliResult:
        return self.run("up", "--yes", "--skip-preview")

    def preview_json(self, *extra: str, check: bool = True) -> dict[str, Any]:
        result = self.run("preview", "--json", *extra, check=check)
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def refresh(self) -> CliResult:
        return self.run("refresh", "--yes", "--skip-preview")

    def destroy(self) -> CliResult:
        return self.run("destroy", "--yes", "--skip-preview")

    def exported_state(self) -> str:
        return self.run("stack", "export", "--stack", self.stack, "--show-secrets").stdout

    def outputs(self) -> dict[str, Any]:
        result = self.run("stack", "output", "--json", "--stack", self.stack)
        document: dict[str, Any] = json.loads(result.stdout)
        return document


def changed_steps(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of a `pulumi preview --json` that change a Device."""
    return [
        step for step in preview.get("steps", []) if step["op"] != "same" and "chekt:Device" in step["urn"]
    ]


def device_name(step: dict[str, Any]) -> str:
    """The resource name of a step, e.g. ``2/3/cam-1``."""
    return str(step["urn"].split("::")[-1])
