"""The chekt-devices commands that call the API authenticate with a client assertion key from the
environment, exactly as the provider does, and say in one line, without key material, when they cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.localserver import ClientConfig, ServerConfig
from tests.cli.conftest import run_cli
from tests.keys import rsa_pair

KEYED = "keyed-cli-client"


@pytest.fixture
def server_config() -> ServerConfig:
    return ServerConfig(
        clients=[ClientConfig(KEYED, None, "adc", public_key=rsa_pair().public_pem)], dealers={2: [3]}
    )


def test_list_with_a_key_file_and_its_mistakes(server: Any, tmp_path: Path) -> None:
    right, wrong = tmp_path / "partner.pem", tmp_path / "other.pem"
    right.write_text(rsa_pair().private_pem)
    wrong.write_text(rsa_pair(seed=5).private_pem)
    env = {"CHEKT_BASE_URL": server.url, "CHEKT_TOKEN_URL": server.token_url, "CHEKT_CLIENT_ID": KEYED}

    listed = run_cli(
        "list",
        "--dealer",
        "2",
        "--site",
        "3",
        "--format",
        "json",
        env={**env, "CHEKT_CLIENT_ASSERTION_KEY_FILE": str(right)},
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"

    refused = run_cli(
        "list", "--dealer", "2", "--site", "3", env={**env, "CHEKT_CLIENT_ASSERTION_KEY_FILE": str(wrong)}
    )
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert "the signature does not verify with the client's registered key" in line
    assert not rsa_pair(seed=5).leaks_in(refused.stdout + refused.stderr)

    both = run_cli(
        "list", "--dealer", "2", "--site", "3",
        env={**env, "CHEKT_CLIENT_ASSERTION_KEY_FILE": str(right), "CHEKT_CLIENT_ASSERTION_KEY": rsa_pair().private_pem},
    )  # fmt: skip
    assert both.returncode == 1
    [line] = both.stderr.splitlines()
    assert "both CHEKT_CLIENT_ASSERTION_KEY and CHEKT_CLIENT_ASSERTION_KEY_FILE are set" in line
    assert not rsa_pair().leaks_in(both.stdout + both.stderr)
