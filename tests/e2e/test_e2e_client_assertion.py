"""Key-based machine access with the real Pulumi CLI: `pulumi up` authenticates with signed client
assertions from `--secret chekt:clientAssertionKey` (or CHEKT_CLIENT_ASSERTION_KEY_FILE), and no key
material reaches state, stack export or CLI output, even when the key is the wrong one."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import ClientConfig, ServerConfig
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject
from tests.keys import rsa_pair

KEYED = "keyed-partner"
TWO_DEVICES = site(2, 3, device("cam-1", "001"), device("bridge-1", "002", device_type="bridge"))


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(
        clients=[
            ClientConfig(CLIENT_ID, CLIENT_SECRET, "adc"),
            ClientConfig(KEYED, None, "adc", public_key=rsa_pair().public_pem),
        ],
        dealers={2: [3]},
    )


def _keyed_project(root: Path, pulumi_bin: Path, server: Any) -> PulumiProject:
    """A stack whose credentials are chekt:clientId and (unless given by the environment) a key."""
    project = PulumiProject(root, pulumi_bin).create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
    project.run("config", "rm", "chekt:clientSecret")
    project.run("config", "set", "chekt:clientId", KEYED)
    return project


def _set_from_stdin(project: PulumiProject, mode: str, key: str, value: str) -> None:
    """`pulumi config set <mode> KEY < file`, the way a PEM is set (as an argument, its leading
    dashes would be read as a flag)."""
    argv = [str(project.bin_dir / "pulumi"), "config", "set", mode, key, "--stack", project.stack]
    done = subprocess.run(
        argv, cwd=project.root, env=project.env(), input=value, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _files_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_up_with_a_secret_key_converges_and_no_key_material_is_in_state_or_output(
    tmp_path: Path, pulumi_bin: Path, server: Any, api: ChektClient
) -> None:
    key = rsa_pair()
    project = _keyed_project(tmp_path / "project", pulumi_bin, server)
    _set_from_stdin(project, "--secret", "chekt:clientAssertionKey", key.private_pem)
    project.write_site("store.yaml", TWO_DEVICES)
    project.up()
    assert sorted(d["external_device_id"] for d in api.list_devices(2, 3)) == ["bridge-1", "cam-1"]
    project.run("preview", "--expect-no-changes")
    exported = project.run("stack", "export").stdout
    decrypted = json.loads(project.exported_state())
    on_disk = _files_text(project.root / "backend") + (project.root / "Pulumi.e2e.yaml").read_text()
    cli_output = "".join(r.output for r in project.history if "--show-secrets" not in r.args)
    for text in (exported, on_disk, cli_output):
        assert not key.leaks_in(text)
    assert "secure:" in (project.root / "Pulumi.e2e.yaml").read_text()
    # Decrypted, the key is only in the engine's (encrypted) record of the provider's config.
    holding = [r["urn"] for r in decrypted["deployment"]["resources"] if key.leaks_in(json.dumps(r))]
    assert holding and all("pulumi:providers:pulumi-python" in urn for urn in holding), holding
    project.destroy()
    assert api.list_devices(2, 3) == []


def test_a_wrong_key_file_fails_up_briefly_without_traceback_or_key_material(
    tmp_path: Path, pulumi_bin: Path, server: Any, admin: Any
) -> None:
    wrong = rsa_pair(seed=11)
    (tmp_path / "partner.pem").write_text(wrong.private_pem)
    project = _keyed_project(tmp_path / "project", pulumi_bin, server)
    project.extra_env["CHEKT_CLIENT_ASSERTION_KEY_FILE"] = str(tmp_path / "partner.pem")
    project.write_site("store.yaml", TWO_DEVICES)
    result = project.run("up", "--yes", "--skip-preview", check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert not wrong.leaks_in(result.output)
    # Pulumi's diagnostics: one `error:` line per failed resource and two for the stack. The refusal is
    # one provider error (the same words and trace id for every device), so it is one distinct line.
    errors = {line.strip() for line in result.output.splitlines() if line.strip().startswith("error:")}
    assert len(errors) <= 3, "\n".join(sorted(errors))
    refusal = [
        line for line in errors if "the signature does not verify with the client's registered key" in line
    ]
    assert len(refusal) == 1, errors
    assert "401" in refusal[0] and re.search(r"trace id [0-9a-f-]{36}", refusal[0])
    assert admin.stats()["requests"] == {"POST /oauth/token": 1}  # refused once, for every device
    assert server.issued_tokens() == []


def test_a_plaintext_key_is_refused_before_anything_is_sent(
    tmp_path: Path, pulumi_bin: Path, server: Any, admin: Any
) -> None:
    project = _keyed_project(tmp_path / "project", pulumi_bin, server)
    _set_from_stdin(project, "--plaintext", "chekt:clientAssertionKey", rsa_pair().private_pem)
    project.write_site("store.yaml", TWO_DEVICES)
    result = project.run("preview", check=False)
    assert result.returncode != 0
    assert "chekt:clientAssertionKey is stored in plain text" in result.output
    assert not rsa_pair().leaks_in(result.output)
    assert admin.stats()["total"] == 0
