"""`chekt-devices export --sites ... --out-dir DIR` against the local API server: many sites, one client."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_chekt.cli.__main__ import main
from pulumi_chekt.cli.export import Progress, id_ranges, site_ids
from tests.cli.conftest import run_cli
from tests.conftest import CLIENT_SECRET
from tests.e2e.conftest import device
from tests.routes import LIST, TOKEN, count

DEALER = 9


def seed_sites(admin: Any, *site_ids_: int) -> None:
    """Dealer 9 with these sites, each holding two devices named after it."""
    admin.seed(
        [
            {
                "dealer_id": DEALER,
                "sites": [
                    {
                        "site_id": site_id,
                        "devices": [
                            device(f"cam-{site_id}", "001", name=f"Site {site_id} camera"),
                            device(f"bridge-{site_id}", "002", device_type="bridge"),
                        ],
                    }
                    for site_id in site_ids_
                ],
            }
        ]
    )


def site_file(folder: Path, site_id: int) -> Path:
    return folder / f"dealer-{DEALER}-site-{site_id}.yaml"


def test_three_sites_into_an_empty_folder_are_three_valid_files_over_one_token(
    tmp_path: Path, admin: Any, cli_env: dict[str, str]
) -> None:
    seed_sites(admin, 3, 4, 7)
    out_dir = tmp_path / "sites"  # missing: created

    done = run_cli("export", "--dealer", DEALER, "--sites", "3,4,7", "--out-dir", out_dir, env=cli_env)

    assert done.returncode == 0, done.stderr
    files = sorted(out_dir.iterdir())
    assert files == [site_file(out_dir, 3), site_file(out_dir, 4), site_file(out_dir, 7)]
    for site_id in (3, 4, 7):
        document = yaml.safe_load(site_file(out_dir, site_id).read_text(encoding="utf-8"))
        assert (document["dealer_id"], document["site_id"]) == (DEALER, site_id)
        assert [d["external_device_id"] for d in document["devices"]] == [
            f"bridge-{site_id}",
            f"cam-{site_id}",
        ]
    valid = run_cli("validate", *files)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert valid.stderr.strip() == "3 site files valid"

    # One result line per site (in the order they finished), then a total; no progress line off a terminal.
    assert sorted(done.stdout.splitlines()) == [
        f"dealer {DEALER} site {site_id}: wrote {site_file(out_dir, site_id)} (2 devices)"
        for site_id in (3, 4, 7)
    ]
    assert done.stderr.splitlines()[-1] == f"3 site files written to {out_dir}"
    assert "\r" not in done.stderr and "exporting" not in done.stderr
    assert count(admin, TOKEN) == 1  # one client for every site
    assert count(admin, LIST) == 3
    assert CLIENT_SECRET not in done.stdout + done.stderr


def test_a_failing_site_does_not_stop_the_others_and_the_exit_status_says_so(
    tmp_path: Path, admin: Any, cli_env: dict[str, str]
) -> None:
    seed_sites(admin, 3, 4, 5, 6)

    done = run_cli(
        "export",
        "--dealer",
        DEALER,
        "--sites",
        "3-4,99,5-6",
        "--out-dir",
        tmp_path,
        "--jobs",
        "2",
        env=cli_env,
    )

    assert done.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"dealer-{DEALER}-site-{s}.yaml" for s in (3, 4, 5, 6)
    ]
    lines = done.stdout.splitlines()
    assert len(lines) == 5
    [failed] = [line for line in lines if "FAILED" in line]
    assert failed.startswith(
        f"dealer {DEALER} site 99: FAILED: GET /partner/v1/dealers/{DEALER}/sites/99/devices -> 404"
    )
    assert "trace id" in failed
    assert done.stderr.splitlines()[-1] == (
        f"chekt-devices: error: 1 of 5 sites failed, 4 written to {tmp_path}; "
        f"to retry the failed ones: --dealer {DEALER} --sites 99"
    )
    assert not site_file(tmp_path, 99).exists()
    assert run_cli("validate", *sorted(tmp_path.iterdir())).returncode == 0


def test_existing_files_are_refused_without_force_and_replaced_with_it(
    tmp_path: Path, admin: Any, cli_env: dict[str, str]
) -> None:
    seed_sites(admin, 3, 4)
    mine = site_file(tmp_path, 3)
    mine.write_text("# mine\n", encoding="utf-8")
    lists_before = count(admin, LIST)

    refused = run_cli("export", "--dealer", DEALER, "--sites", "3,4", "--out-dir", tmp_path, env=cli_env)

    assert refused.returncode == 1
    assert mine.read_text(encoding="utf-8") == "# mine\n"
    assert f"dealer {DEALER} site 3: FAILED: {mine} exists; pass --force to overwrite it" in refused.stdout
    assert site_file(tmp_path, 4).is_file()  # the other site was written all the same
    assert count(admin, LIST) == lists_before + 1  # the refused site was not even asked for

    forced = run_cli(
        "export", "--dealer", DEALER, "--sites", "3,4", "--out-dir", tmp_path, "--force", env=cli_env
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert yaml.safe_load(mine.read_text(encoding="utf-8"))["site_id"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, site_file(tmp_path, 4).name]


def test_usage_errors(tmp_path: Path, cli_env: dict[str, str]) -> None:
    no_folder = run_cli("export", "--dealer", "2", "--sites", "3,4", env=cli_env)
    assert no_folder.returncode == 2
    assert "--sites needs --out-dir" in no_folder.stderr
    for bad in ("3,x", "4-3", "0", "3,,4", "1-20000"):
        done = run_cli("export", "--dealer", "2", "--sites", bad, "--out-dir", tmp_path, env=cli_env)
        assert done.returncode == 2, bad
        assert "argument --sites" in done.stderr
    both = run_cli(
        "export", "--dealer", "2", "--site", "3", "--sites", "4", "--out-dir", tmp_path, env=cli_env
    )
    assert both.returncode == 2
    assert list(tmp_path.iterdir()) == []
    no_credentials = run_cli("export", "--dealer", "2", "--sites", "3", "--out-dir", tmp_path / "new")
    assert no_credentials.returncode == 1
    assert "no CHeKT credentials" in no_credentials.stderr
    assert not (tmp_path / "new").exists()  # refused before anything was created


def test_site_ids_expand_ranges_in_the_order_given_each_once() -> None:
    assert site_ids("3,4,7-12") == [3, 4, 7, 8, 9, 10, 11, 12]
    assert site_ids(id_ranges([12, 3, 4, 5, 9, 10])) == [3, 4, 5, 9, 10, 12]
    assert id_ranges([12, 3, 4, 5, 9, 10]) == "3-5,9-10,12"
    assert site_ids(" 12 , 3-4, 4 ,3") == [12, 3, 4]
    with pytest.raises(argparse.ArgumentTypeError):
        site_ids("7-")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_progress_line_is_drawn_on_stderr_and_cleared_around_result_lines(
    tmp_path: Path, admin: Any, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_sites(admin, 3, 4, 5)
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    terminal, out = _Terminal(), io.StringIO()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr("sys.stdout", out)

    status = main(
        ["export", "--dealer", str(DEALER), "--sites", "3-5", "--out-dir", str(tmp_path), "--jobs", "1"]
    )

    assert status == 0
    assert len(out.getvalue().splitlines()) == 3
    shown = terminal.getvalue()
    assert "\rexporting 1/3 sites" in shown and "\rexporting 2/3 sites" in shown
    assert "\rexporting 3/3 sites" not in shown  # the last result line ends it: nothing left to show
    assert shown.startswith("\rexporting 0/3 sites")  # shown before the first site is done
    assert shown.count("\r\033[K") == 3  # cleared before each result line


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream)
    progress.draw(1, 0, force=True)
    progress.clear()
    assert stream.getvalue() == ""


def test_one_site_into_a_folder_is_named_like_the_others(
    tmp_path: Path, admin: Any, cli_env: dict[str, str]
) -> None:
    seed_sites(admin, 3)
    done = run_cli("export", "--dealer", DEALER, "--site", "3", "--out-dir", tmp_path, env=cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"dealer {DEALER} site 3: wrote {site_file(tmp_path, 3)} (2 devices)\n"
    assert [p.name for p in tmp_path.iterdir()] == [site_file(tmp_path, 3).name]
