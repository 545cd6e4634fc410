"""examples/gitops: the workflow and the pre-commit config are valid YAML and call chekt-devices."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.cli.conftest import REPO, clean_env

GITOPS = REPO / "examples" / "gitops"


def load(name: str) -> Any:
    return yaml.safe_load((GITOPS / name).read_text(encoding="utf-8"))


def test_workflow_validates_previews_comments_and_applies() -> None:
    workflow = load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    runs = {
        job: "\n".join(str(step.get("run", "")) for step in spec["steps"])
        for job, spec in workflow["jobs"].items()
    }
    assert "chekt-devices validate sites/*.yaml" in runs["validate"]
    assert "pulumi preview" in runs["preview"] and "chekt-devices summarize" in runs["preview"]
    assert "pulumi up" in runs["up"] and "--yes" in runs["up"]
    uses = [step.get("uses", "") for spec in workflow["jobs"].values() for step in spec["steps"]]
    assert any(u.startswith("pulumi/actions@") for u in uses)
    assert any(u.startswith("marocchino/sticky-pull-request-comment@") for u in uses)

    text = (GITOPS / "github-actions.yml").read_text(encoding="utf-8")
    for secret in ("PULUMI_CONFIG_PASSPHRASE", "CHEKT_CLIENT_ID", "CHEKT_CLIENT_SECRET"):
        assert f"${{{{ secrets.{secret} }}}}" in text
    assert not re.search(r"echo[^\n]*secrets\.", text)
    assert "set -x" not in text.replace("`set -x`", "")


def test_pre_commit_hook_runs_validate_on_site_files() -> None:
    """The example config references this repository's hook by id and rev; the hook (defined once, in
    .pre-commit-hooks.yaml) matches site files and its entry validates them."""
    [repo] = load(".pre-commit-config.yaml")["repos"]
    assert repo["repo"] != "local" and repo["rev"]
    hooks = repo["hooks"]
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    defined = {hook["id"]: hook for hook in manifest}
    assert [hook["id"] for hook in hooks] == ["chekt-devices-validate"]
    hook = defined["chekt-devices-validate"]
    assert hook["entry"] == "chekt-devices validate"
    assert hook["language"] == "python" and hook["require_serial"] is True
    pattern = re.compile(hook["files"])
    assert pattern.search("sites/dealer-2-site-3.yaml") and pattern.search("sites/x.yml")
    assert not pattern.search("docs/sites.yaml") and not pattern.search("sites/old/x.yaml")

    # Run the entry the way pre-commit would, on the example sites laid out as sites/*.yaml.
    files = sorted(
        str(p.relative_to(REPO / "examples")) for p in (REPO / "examples" / "sites").glob("*.yaml")
    )
    assert files and all(pattern.search(f) for f in files)
    command, *args = shlex.split(hook["entry"])
    done = subprocess.run(
        [str(Path(sys.executable).parent / command), *args, *files],
        cwd=REPO / "examples",
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
