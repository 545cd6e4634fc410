"""A bad site file stops the preview before any write; no credential reaches state or CLI output."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import CLIENT_SECRET
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


def test_no_secret_or_token_in_state_or_cli_output(project: PulumiProject, server: Any) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    project.preview_json()
    project.refresh()
    state = project.exported_state()
    project.destroy()
    tokens = server.issued_tokens()
    assert tokens, "the provider authenticated with OAuth, so the server issued tokens"
    everything = state + "".join(result.output for result in project.history)
    assert CLIENT_SECRET not in everything
    for token in tokens:
        assert token not in everything
    assert (
        "ciphertext" in (project.root / "Pulumi.e2e.yaml").read_text()
    )  # the stack config holds it encrypted
