"""examples/gitops: the workflows and the pre-commit config are valid YAML, call chekt-devices as
documented, and their shell steps work when run (the matrix step in a real git repository)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.cli.conftest import REPO, clean_env

GITOPS = REPO / "examples" / "gitops"
SECRETS = ("PULUMI_CONFIG_PASSPHRASE", "CHEKT_CLIENT_ID", "CHEKT_CLIENT_SECRET")


def load(name: str) -> Any:
    return yaml.safe_load((GITOPS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true


def runs(workflow: dict[str, Any]) -> dict[str, str]:
    return {
        job: "\n".join(str(step.get("run", "")) for step in spec["steps"])
        for job, spec in workflow["jobs"].items()
    }


def step(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    [found] = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return found


def check_hygiene(name: str) -> None:
    workflow = load(name)
    text = (GITOPS / name).read_text(encoding="utf-8")
    for secret in SECRETS:
        assert f"${{{{ secrets.{secret} }}}}" in text
    assert not re.search(r"echo[^\n]*secrets\.", text)
    assert "set -x" not in text.replace("`set -x`", "")
    assert "${{ matrix" not in "\n".join(runs(workflow).values())  # values reach scripts through env
    assert "pulumi-chekt==" not in text  # not on PyPI: installed from the repository
    assert workflow["env"]["PULUMI_CHEKT"] == "."
    installs = [
        s["run"]
        for spec in workflow["jobs"].values()
        for s in spec["steps"]
        if "pip install" in str(s.get("run"))
    ]
    assert installs and all(run == 'pip install "$PULUMI_CHEKT"' for run in installs)


def test_pull_requests_preview_only_the_touched_stacks_with_refresh_and_live() -> None:
    workflow = load("github-actions.yml")
    assert set(triggers(workflow)) == {"pull_request", "push"}
    assert triggers(workflow)["push"]["branches"] == ["main"]
    script = runs(workflow)
    assert "chekt-devices validate sites/**/*.yaml" in script["validate"]
    assert "chekt-devices owners --no-state" in script["validate"]
    assert "chekt-devices owners" in script["owners"]
    assert re.search(r"pulumi preview [^\n]*--refresh[^\n]*--json", script["preview"])
    assert (
        "chekt-devices summarize --live --full summary-full.md preview.json > summary.md" in script["preview"]
    )
    assert re.search(r"pulumi up [^\n]*--refresh --yes", script["up"])
    for job in ("preview", "up"):
        spec = workflow["jobs"][job]
        assert spec["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.validate.outputs.stacks) }}"
        assert "needs.validate.outputs.stacks != '[]'" in spec["if"]
        assert set(spec["needs"]) == {"validate", "owners"}
    assert workflow["jobs"]["up"]["concurrency"]["group"] == "chekt-up-${{ matrix.stack }}"
    comment = step(workflow, "preview", "Comment on the pull request")
    assert comment["uses"].startswith("marocchino/sticky-pull-request-comment@")
    assert comment["with"]["header"] == "chekt-devices-${{ matrix.stack }}"
    check_hygiene("github-actions.yml")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


def run_step(script: str, repo: Path, env: dict[str, str]) -> dict[str, str]:
    """Run a workflow step's script as GitHub does (bash -e), and read what it wrote to GITHUB_OUTPUT."""
    output = repo.parent / "github-output"
    output.write_text("", encoding="utf-8")
    bin_dir = str(Path(sys.executable).parent)
    extra = {**env, "GITHUB_OUTPUT": str(output), "PATH": f"{bin_dir}:{clean_env()['PATH']}"}
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        check=False,
        cwd=repo,
        env=clean_env(extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())


def test_the_matrix_step_lists_the_stacks_a_change_touches(tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    (repo / "sites" / "east").mkdir(parents=True)
    (repo / "sites" / "west").mkdir(parents=True)
    (repo / "Pulumi.yaml").write_text("name: chekt-sites\nruntime: python\n", encoding="utf-8")
    for stack in ("east", "west"):
        (repo / f"Pulumi.{stack}.yaml").write_text(
            f"config:\n  chekt:sites: [sites/{stack}/*.yaml]\n", encoding="utf-8"
        )
        (repo / "sites" / stack / "a.yaml").write_text("dealer_id: 2\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "fleet")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "sites" / "west" / "a.yaml").unlink()  # a deleted site file still touches its stack
    git(repo, "commit", "-qam", "remove a west site")

    script = step(load("github-actions.yml"), "validate", "Stacks this change touches")["run"]
    assert run_step(script, repo, {"BASE": base}) == {"stacks": '["west"]'}
    assert run_step(script, repo, {"BASE": ""}) == {"stacks": '["east", "west"]'}  # a new branch: all
    assert run_step(script, repo, {"BASE": "0" * 40}) == {"stacks": '["east", "west"]'}
    (repo / "README.md").write_text("docs\n", encoding="utf-8")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "docs only")
    assert run_step(script, repo, {"BASE": git(repo, "rev-parse", "HEAD~1")}) == {"stacks": "[]"}
    assert json.loads(run_step(script, repo, {"BASE": base})["stacks"]) == ["west"]


def test_the_scheduled_drift_check_fails_on_drift_and_can_self_heal() -> None:
    workflow = load("drift-check.yml")
    assert set(triggers(workflow)) == {"schedule", "workflow_dispatch"}
    assert triggers(workflow)["schedule"][0]["cron"]
    drift = workflow["jobs"]["drift"]
    assert drift["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert drift["concurrency"]["group"] == "chekt-up-${{ matrix.stack }}"  # never beside an `up`
    check = step(workflow, "drift", "Refresh and compare with git")["run"]
    assert re.search(r"pulumi preview [^\n]*--refresh --expect-no-changes --json > preview.json", check)
    assert "chekt-devices summarize --full drift-full.md preview.json > drift.md" in check
    heal = step(workflow, "drift", "Self-heal (put CHeKT back as git says)")
    assert heal["if"] == "steps.check.outputs.drifted == '1' && env.SELF_HEAL == 'true'"
    assert re.search(r"pulumi up [^\n]*--refresh --yes", heal["run"])
    assert workflow["env"]["SELF_HEAL"] == "${{ vars.CHEKT_SELF_HEAL == 'true' }}"  # off unless set
    check_hygiene("drift-check.yml")


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
    assert pattern.search("sites/east/dealer-2-site-3.yaml")  # the fleet layout
    assert not pattern.search("docs/sites.yaml") and not pattern.search("sites/notes.txt")

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
