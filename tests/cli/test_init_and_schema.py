"""`chekt-devices init` and `schema`: a new project whose schema reference works on every machine."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_chekt.cli.schema import bundled
from pulumi_chekt.contract import validator
from tests.cli.conftest import EXAMPLE_SITES, REPO, run_cli

FILES = ["Pulumi.yaml", "__main__.py", "sites/example-site.yaml", "schemas/site.schema.json", ".gitignore"]


def schema_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in schema_refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in schema_refs(item)]
    return []


def test_init_writes_a_project_and_prints_the_next_commands(tmp_path: Path) -> None:
    folder = tmp_path / "My Sites"
    done = run_cli("init", folder)
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(FILES)
    lines = done.stdout.splitlines()
    assert lines[0] == f"Created a CHeKT sites project in {folder}: {', '.join(FILES)}"
    assert lines[1:] == [
        "Next:",
        f"  1. cd '{folder}' && pulumi stack init dev",
        "  2. pulumi config set chekt:clientId <client id> && "
        "pulumi config set --secret chekt:clientSecret <client secret>",
        "  3. chekt-devices validate sites/*.yaml && pulumi preview",
    ]
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project == {
        "name": "My-Sites",
        "description": "CHeKT site devices (cameras and bridges), converged to the site files in sites/.",
        "runtime": "python",
    }
    assert "from pulumi_chekt.program import main" in (folder / "__main__.py").read_text(encoding="utf-8")
    assert ".venv/" in (folder / ".gitignore").read_text(encoding="utf-8").splitlines()

    # The example validates, and its editor reference resolves, relatively, to the copy init wrote.
    valid = run_cli("validate", "sites/example-site.yaml", cwd=folder)
    assert valid.returncode == 0 and "1 site file valid" in valid.stdout + valid.stderr, (
        valid.stdout + valid.stderr
    )
    site = folder / "sites" / "example-site.yaml"
    first = site.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/site.schema.json"
    assert (site.parent / first.split("=", 1)[1]).resolve() == (
        folder / "schemas" / "site.schema.json"
    ).resolve()
    # `prune` is offered, off: uncommented, the file is still valid.
    text = site.read_text(encoding="utf-8")
    assert "\n# prune: true " in text
    site.write_text(text.replace("\n# prune: true ", "\nprune: true "), encoding="utf-8")
    pruned = run_cli("validate", "sites/example-site.yaml", cwd=folder)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    printed = run_cli("schema")
    assert printed.returncode == 0
    assert (folder / "schemas" / "site.schema.json").read_text(encoding="utf-8") == printed.stdout


def test_init_never_overwrites_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "sites").mkdir()
    mine = tmp_path / "sites" / "example-site.yaml"
    mine.write_text("dealer_id: 9\n", encoding="utf-8")
    refused = run_cli("init", tmp_path, "--name", "shop")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"chekt-devices: error: {tmp_path} already has sites/example-site.yaml; nothing was written "
        "(pass --force to replace them)"
    )
    assert not (tmp_path / "Pulumi.yaml").exists() and mine.read_text(encoding="utf-8") == "dealer_id: 9\n"

    forced = run_cli("init", tmp_path, "--name", "shop", "--force")
    assert forced.returncode == 0, forced.stderr
    assert yaml.safe_load((tmp_path / "Pulumi.yaml").read_text(encoding="utf-8"))["name"] == "shop"
    assert "dealer_id: 2" in mine.read_text(encoding="utf-8")

    in_place = run_cli("init", "--name", "x", "--force", cwd=tmp_path)
    assert in_place.returncode == 0
    assert (
        "  1. pulumi stack init dev" in in_place.stdout.splitlines()
    )  # no `cd` when DIR is the current folder

    bad_name = run_cli("init", tmp_path / "other", "--name", "no spaces")
    assert bad_name.returncode == 2 and "letters, digits" in bad_name.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("", encoding="utf-8")
    assert (
        run_cli("init", a_file).stderr.strip() == f"chekt-devices: error: {a_file} exists and is not a folder"
    )


def test_the_bundled_schema_stands_alone_and_judges_like_the_packaged_one() -> None:
    document = bundled()
    refs = schema_refs(document)
    assert refs and all(ref.startswith("#/$defs/") for ref in refs)
    standalone = type(validator("site"))(document)  # same validator class, no registry of sibling files
    broken: list[Any] = [
        {},
        [],
        {"dealer_id": 2, "site_id": 3, "devices": [{"external_device_id": "a", "zone_number": 1}]},
        {"dealer_id": 2, "site_id": 3, "devices": [{"external_device_id": "a", "zone_number": "001\n"}]},
        {"dealer_id": "2", "site_id": 3, "devices": []},
        {"dealer_id": 2, "site_id": 3, "devices": [], "extra": 1},
        {
            "dealer_id": 2,
            "site_id": 3,
            "devices": [{"external_device_id": "a", "zone_number": "1"}],
        },  # no type
        {
            "dealer_id": 2,
            "site_id": 3,
            "devices": [
                {"external_device_id": "a", "device_type": "drone", "zone_number": "1"},
                {"external_device_id": "b", "device_type": "camera", "zone_number": "2", "mac": 5},
                {
                    "external_device_id": "c",
                    "device_type": "camera",
                    "zone_number": "3",
                    "additional_zone_numbers": ["4", "4"],
                },
            ],
        },
    ]
    examples = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLE_SITES]
    assert examples
    for instance in examples + broken:
        packaged = sorted(e.json_path for e in validator("site").iter_errors(instance))
        alone = sorted(e.json_path for e in standalone.iter_errors(instance))
        assert alone == packaged, instance
    assert all(validator("site").is_valid(e) for e in examples)
    assert not any(validator("site").is_valid(b) for b in broken)


def test_schema_path_names_the_installed_file() -> None:
    done = run_cli("schema", "--path")
    assert done.returncode == 0
    path = Path(done.stdout.strip())
    assert path.name == "site.schema.json" and path.is_file()
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "CHeKT site file"


def test_export_into_an_init_project_points_at_its_schema_copy(
    tmp_path: Path, server: Any, cli_env: dict[str, str]
) -> None:
    assert run_cli("init", tmp_path / "proj").returncode == 0
    out = tmp_path / "proj" / "sites" / "nested" / "dealer-2-site-4.yaml"
    out.parent.mkdir()
    done = run_cli("export", "--dealer", "2", "--site", "4", "--out", out, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"wrote {out}: 0 devices"  # the copy exists: no note
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/site.schema.json"
    assert (out.parent / "../../schemas/site.schema.json").resolve().is_file()

    # Outside any Pulumi project the reference is to schemas/ in the current folder.
    printed = run_cli("export", "--dealer", "2", "--site", "4", env=cli_env, cwd=tmp_path)
    assert printed.stdout.startswith("# yaml-language-server: $schema=schemas/site.schema.json\n")
    assert str(REPO) not in printed.stdout and "site-packages" not in printed.stdout


@pytest.mark.parametrize("command", ["export", "list"])
def test_missing_credentials_name_the_environment_variables_the_cli_reads(command: str) -> None:
    done = run_cli(command, "--dealer", "2", "--site", "3", env={"CHEKT_CLIENT_ID": "only-the-id"})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "chekt-devices: error: no CHeKT credentials: set CHEKT_CLIENT_ID and CHEKT_CLIENT_SECRET (or "
        "CHEKT_CLIENT_ASSERTION_KEY or CHEKT_CLIENT_ASSERTION_KEY_FILE), or CHEKT_API_TOKEN, in the "
        "environment (this command reads no Pulumi stack config)"
    )


def test_refused_settings_are_named_as_the_cli_reads_them() -> None:
    # Loopback base URLs only: a refused setting must fail before any request, and none may leave this host.
    token = {"CHEKT_API_TOKEN": "t0ken-value", "CHEKT_BASE_URL": "http://127.0.0.1:9"}
    client = {
        "CHEKT_CLIENT_ID": "id",
        "CHEKT_CLIENT_SECRET": "t0ken-value",
        "CHEKT_BASE_URL": "http://127.0.0.1:9",
    }
    by_env = run_cli(
        "list", "--dealer", "2", "--site", "3", env={**token, "CHEKT_BASE_URL": "http://example.com"}
    )
    assert by_env.stderr.startswith("chekt-devices: error: CHEKT_BASE_URL uses plain http:// for example.com")
    by_flag = run_cli("list", "--dealer", "2", "--site", "3", "--token-url", "ftp://x", env=client)
    assert (
        by_flag.stderr.strip()
        == "chekt-devices: error: --token-url must be an absolute https:// URL, got ftp scheme"
    )
    bundle = run_cli(
        "list", "--dealer", "2", "--site", "3", env={**token, "CHEKT_CA_BUNDLE": os.devnull + "x"}
    )
    assert (
        bundle.stderr.strip()
        == f"chekt-devices: error: CHEKT_CA_BUNDLE '{os.devnull}x' is not a readable file"
    )
    for done in (by_env, by_flag, bundle):
        assert done.returncode == 1 and "t0ken-value" not in done.stderr and "chekt:" not in done.stderr
