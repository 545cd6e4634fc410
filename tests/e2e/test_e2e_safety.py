"""A bad site file stops the preview before any write; no credential reaches state or CLI output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject
from tests.e2e.test_e2e_converge import STORE, writes


@pytest.mark.parametrize(
    ("bad_device", "field", "reason"),
    [
        (device("cam-dup", "001"), "/devices/1/zone_number", "already used by /devices/0"),
        (device("cam-x", "009", device_type="drone"), "/devices/1/device_type", "is not one of"),
    ],
)
def test_invalid_site_file_fails_preview_with_no_api_write(
    project: PulumiProject, admin: Any, bad_device: dict[str, Any], field: str, reason: str
) -> None:
    project.write_site("good.yaml", site(2, 4, device("dock-1", "101")))
    project.write_site("bad.yaml", site(2, 3, device("cam-1", "001"), bad_device))
    result = project.run("preview", check=False)
    assert result.returncode != 0
    assert "sites/bad.yaml" in result.output
    assert field in result.output
    assert reason in result.output
    assert project.run("up", "--yes", check=False).returncode != 0
    assert writes(admin) == 0


def _files_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_no_secret_or_token_in_state_or_cli_output(project: PulumiProject, server: Any) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    project.preview_json()
    project.refresh()
    on_disk = project.run("stack", "export", "--stack", project.stack).stdout + _files_text(
        project.root / "backend"
    )
    decrypted = json.loads(project.exported_state())
    project.destroy()
    tokens = server.issued_tokens()
    assert tokens, "the provider authenticated with OAuth, so the server issued tokens"
    # Everything the CLI printed, except the export we asked to decrypt (checked separately below).
    cli_output = "".join(r.output for r in project.history if "--show-secrets" not in r.args)
    for text in (on_disk, cli_output):
        assert CLIENT_SECRET not in text
        for token in tokens:
            assert token not in text
    # Decrypted, the secret appears once: in the engine's record of the config handed to the dynamic
    # provider (stored encrypted, like any provider credential). Never in a device, never a token.
    resources = decrypted["deployment"]["resources"]
    holding = [r["urn"] for r in resources if CLIENT_SECRET in json.dumps(r)]
    assert all("pulumi:providers:pulumi-python" in urn for urn in holding), holding
    assert not any(token in json.dumps(decrypted) for token in tokens)
    assert "secure:" in (project.root / "Pulumi.e2e.yaml").read_text()  # encrypted in the stack config file


def test_a_plaintext_client_secret_is_refused(project: PulumiProject, admin: Any) -> None:
    project.write_site("store.yaml", STORE)
    project.run("config", "set", "--plaintext", "chekt:clientSecret", CLIENT_SECRET)
    result = project.run("preview", check=False)
    assert result.returncode != 0
    assert "chekt:clientSecret" in result.output
    assert "--secret" in result.output
    assert writes(admin) == 0
