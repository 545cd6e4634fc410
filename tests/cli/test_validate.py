"""`chekt-devices validate`: site files checked offline, one `file:line: pointer: reason` line per problem."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_chekt.cli.__main__ import main
from tests.cli.conftest import EXAMPLE_SITES, REPO, run_cli

GOOD = """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: camera
    zone_number: "001"
"""

BAD_FILES = {
    "duplicate zone": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: camera
    zone_number: "001"
  - external_device_id: cam-2
    device_type: camera
    zone_number: "001"
""",
        9,
        "/devices/1/zone_number",
        'zone_number "001" is already used by /devices/0 (line 6)',
    ),
    "unknown device_type": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: doorbell
    zone_number: "001"
""",
        5,
        "/devices/0/device_type",
        '"doorbell" is not one of "camera", "bridge"',
    ),
    "yaml syntax error": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: [camera
    zone_number: "001"
""",
        6,
        "",
        "not valid YAML/JSON: did not find expected ',' or ']'",
    ),
    "duplicate key": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: camera
    zone_number: "001"
    zone_number: "002"
""",
        7,
        "/devices/0/zone_number",
        "duplicate key",
    ),
    "zone as a bare number": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: camera
    zone_number: 001
""",
        6,
        "/devices/0/zone_number",
        "1 is not of type 'string' (quote it",
    ),
    "prune as text": (
        GOOD.replace("devices:", 'prune: "yes"\ndevices:'),
        3,
        "/prune",
        "\"yes\" is not of type 'boolean'",
    ),
    "an empty zone in a comma string": (
        """\
dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: camera
    zone_number: "001"
    additional_zone_numbers: "002,,003"
""",
        7,
        "/devices/0/additional_zone_numbers",
        "a zone must not be empty",
    ),
}

LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?:(?P<pointer>/\S*): )?(?P<reason>.+)$")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_site_files_are_valid() -> None:
    done = run_cli("validate", *EXAMPLE_SITES)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1] == f"{len(EXAMPLE_SITES)} site files valid"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_reported_with_file_line_pointer_and_reason(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, line, pointer, reason = BAD_FILES[case]
    path = write(tmp_path, "site.yaml", text)

    assert main(["validate", str(path)]) == 1

    out, err = capsys.readouterr()
    problems = [LINE.match(row) for row in out.splitlines()]
    assert problems, out
    assert all(problems), out  # every problem line has the file:line: pointer: reason shape
    found = [(m["file"], int(m["line"]), m["pointer"] or "") for m in problems if m]
    assert (str(path), line, pointer) in found, out
    assert reason in out
    assert err.strip().splitlines()[-1].startswith(f"{len(problems)} problem")


def test_prune_true_is_a_valid_site_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "site.yaml", GOOD.replace("devices:", "prune: true\ndevices:"))
    assert main(["validate", str(path)]) == 0, capsys.readouterr().out


def test_many_files_at_once_and_the_cross_file_rule(tmp_path: Path) -> None:
    site_7_8 = GOOD.replace("dealer_id: 2", "dealer_id: 7").replace("site_id: 3", "site_id: 8")
    good = write(tmp_path, "good.yaml", site_7_8)
    again = write(tmp_path, "again.yaml", site_7_8.replace("cam-1", "cam-9"))  # dealer 7 site 8 again
    bad = write(tmp_path, "bad.yaml", BAD_FILES["duplicate zone"][0].replace("site_id: 3", "site_id: 6"))

    done = run_cli("validate", good, again, bad, EXAMPLE_SITES[0].relative_to(REPO))

    assert done.returncode == 1
    rows = done.stdout.splitlines()
    assert f"{again}:2: /site_id: dealer 7 site 8 is also declared in {good}:2" in rows
    assert any(row.startswith(f"{bad}:9: /devices/1/zone_number: ") for row in rows)
    assert len(rows) == 2
    assert done.stderr.strip() == "2 problems in 2 of 4 site files"


def test_json_format(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(
        tmp_path, "bad.yaml", BAD_FILES["zone as a bare number"][0].replace("site_id: 3", "site_id: 5")
    )

    done = run_cli("validate", "--format", "json", good, bad)

    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert report["files"] == 2
    assert report["problems"] == [
        {
            "file": str(bad),
            "line": 6,
            "pointer": "/devices/0/zone_number",
            "message": report["problems"][0]["message"],
        }
    ]
    assert "quote it" in report["problems"][0]["message"]

    valid = run_cli("validate", "--format=json", *EXAMPLE_SITES)
    assert valid.returncode == 0
    assert json.loads(valid.stdout) == {"valid": True, "files": len(EXAMPLE_SITES), "problems": []}


def test_a_missing_file_is_invalid_not_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing)]) == 1
    out, _ = capsys.readouterr()
    assert out == f"{missing}: cannot read file: No such file or directory\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],  # no file
        ["validate", "--format", "xml", "x.yaml"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    done = run_cli(*argv)
    assert done.returncode == 2
    assert "usage: chekt-devices" in done.stderr


def test_every_subcommand_has_help() -> None:
    for command in ("validate", "export", "list", "summarize"):
        done = run_cli(command, "--help")
        assert done.returncode == 0, done.stderr
        assert f"usage: chekt-devices {command}" in done.stdout
        assert "Exit status" in " ".join(done.stdout.split())


def test_a_progress_line_on_a_terminal_and_none_when_piped(tmp_path: Path) -> None:
    files = [write(tmp_path, f"s{n}.yaml", GOOD.replace("site_id: 3", f"site_id: {n + 3}")) for n in range(3)]
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pulumi_chekt.cli", "validate", *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=False,
        )
        os.close(follower)
        follower = -1
        terminal = b""
        while select.select([leader], [], [], 0.5)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0
    assert done.stdout == b""
    text = terminal.decode()
    assert "\rvalidating 1/3 site files" in text
    assert text.endswith("\r\x1b[K3 site files valid\r\n")  # the progress line is erased, then the summary

    piped = run_cli("validate", *files)
    assert piped.stderr == "3 site files valid\n"
