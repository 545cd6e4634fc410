"""What the "Security" page (docs/security.md) promises about the engine, checked with the real Pulumi CLI.

1. Pulumi's own ``PULUMI_DEBUG_GRPC`` log holds the decrypted stack config, client secret included
   (the engine's behaviour, not ours: the page warns about it; if Pulumi changes, this test says so).
2. Credentials given only as ``CHEKT_*`` environment variables reach neither the state (even
   decrypted) nor that log nor the CLI output.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import REPO, PulumiProject


@dataclass
class _TracedProject(PulumiProject):
    """A project whose CLI runs write the engine's gRPC debug log, with extra environment variables."""

    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def grpc_log(self) -> Path:
        return self.root / "grpc-debug.json"

    def env(self) -> dict[str, str]:
        return {**super().env(), "PULUMI_DEBUG_GRPC": str(self.grpc_log), **self.extra_env}


def test_the_security_page_warns_and_says_how_to_keep_credentials_out() -> None:
    section = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    assert "PULUMI_DEBUG_GRPC" in section
    assert "CHEKT_CLIENT_SECRET" in section
    for topic in ("**State**", "**Errors and logs**", "**Transport**", "**Files**"):
        assert topic in section


def test_the_engine_grpc_debug_log_holds_a_config_secret(
    tmp_path: Path, pulumi_bin: Path, server: Any
) -> None:
    project = _TracedProject(tmp_path / "project", pulumi_bin)
    project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
    project.write_site("store.yaml", site(2, 3, device("cam-1", "001")))
    project.run("preview")
    assert CLIENT_SECRET not in "".join(r.output for r in project.history)
    assert CLIENT_SECRET in project.grpc_log.read_text(encoding="utf-8")  # what docs/security.md warns about


def test_environment_credentials_stay_out_of_state_and_the_grpc_log(
    tmp_path: Path, pulumi_bin: Path, server: Any, api: Any
) -> None:
    project = _TracedProject(
        tmp_path / "project",
        pulumi_bin,
        extra_env={"CHEKT_CLIENT_ID": CLIENT_ID, "CHEKT_CLIENT_SECRET": CLIENT_SECRET},
    )
    (project.root / "backend").mkdir(parents=True)
    project.sites_dir.mkdir()
    runtime = {"name": "python", "options": {"virtualenv": str(Path(sys.executable).parent.parent)}}
    (project.root / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "chekt-e2e", "runtime": runtime}))
    (project.root / "__main__.py").write_text("from pulumi_chekt.program import main\n\nmain()\n")
    project.run("stack", "init", project.stack)
    project.run("config", "set", "--path", "chekt:sites[0]", "sites/*.yaml")
    project.run("config", "set", "--plaintext", "chekt:baseUrl", server.url)
    project.run("config", "set", "--plaintext", "chekt:tokenUrl", server.token_url)
    project.write_site("store.yaml", site(2, 3, device("cam-1", "001")))
    project.up()
    assert [d["external_device_id"] for d in api.list_devices(2, 3)] == ["cam-1"]
    decrypted = project.run("stack", "export", "--show-secrets").stdout
    project.destroy()
    assert CLIENT_SECRET not in decrypted
    assert CLIENT_SECRET not in project.grpc_log.read_text(encoding="utf-8")
    assert CLIENT_SECRET not in "".join(r.output for r in project.history)
