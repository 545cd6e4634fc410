"""Bounded site-file loading: hostile files cost little and yield `file:line: reason`, never a traceback.

Before: a 342-byte alias bomb took a minute and 2.2 GB, then MemoryError; 3,000 nested brackets
crashed with RecursionError; a 50 MB file was parsed (twice) for minutes. The CLI cases run in a
subprocess with a time limit and an address-space cap, so a regression fails instead of hanging.
"""

from __future__ import annotations

import itertools
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_chekt.site import check_site_file
from pulumi_chekt.site.sitefile import MAX_FILE_BYTES, parse_site_text
from pulumi_chekt.site.yaml_lines import YamlLoadError, load_with_lines

MEMORY_CAP = 1024 * 1024 * 1024
"""1 GiB of address space for the CLI subprocess: the alias bomb needed 2.2 GB before."""


def alias_bomb() -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for previous, name in itertools.pairwise(names):
        rows.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(rows) + "\n"


def validate_in_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.cli", "validate", "--project-root", str(path.parent), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=cap,
    )


def test_an_alias_bomb_is_refused_at_its_first_alias(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    assert len(path.read_bytes()) < 500

    done = validate_in_subprocess(path)

    assert done.returncode == 1, done.stderr
    assert done.stdout == f"{path}:2: aliases are not supported\n"
    assert "Traceback" not in done.stderr


def test_aliases_are_refused_wherever_they_are(tmp_path: Path) -> None:
    text = 'dealer_id: 2\nsite_id: 3\ndevices:\n  - &cam {external_device_id: a, device_type: camera, zone_number: "1"}\n  - *cam\n'
    with pytest.raises(YamlLoadError) as caught:
        load_with_lines(text)
    assert (caught.value.line, caught.value.reason, caught.value.pointer) == (
        5,
        "aliases are not supported",
        "/devices/1",
    )


def nested(depth: int) -> str:
    return "dealer_id: 2\nsite_id: 3\ndevices: " + "[" * depth + "]" * depth + "\n"


def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(nested(3000), encoding="utf-8")

    done = validate_in_subprocess(path)

    assert done.returncode == 1
    assert done.stdout == f"{path}:3: nested deeper than 32 levels\n"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_any_depth_over_the_limit_gets_the_same_message(depth: int) -> None:
    _, problems, _ = parse_site_text(nested(depth), "deep.yaml")
    assert [str(p) for p in problems] == ["deep.yaml:3: nested deeper than 32 levels"]


def test_thirty_two_levels_still_parse_and_thirty_three_do_not() -> None:
    """The limit is exactly MAX_DEPTH: a mapping holding 31 nested lists (32 levels) reads back as
    written; one more list is refused with the message."""
    innermost: list[object] = []
    expected: object = innermost
    for _ in range(30):
        expected = [expected]
    text = "x: " + "[" * 31 + "]" * 31 + "\n"
    assert load_with_lines(text).data == {"x": expected}
    deeper = "x: " + "[" * 32 + "]" * 32 + "\n"
    with pytest.raises(YamlLoadError, match="nested deeper than 32 levels"):
        load_with_lines(deeper)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    device = '  - {external_device_id: cam-%07d, device_type: camera, zone_number: "%07d"}\n'
    with path.open("w", encoding="utf-8") as handle:
        handle.write("dealer_id: 2\nsite_id: 3\ndevices:\n")
        for n in range(MAX_FILE_BYTES // len(device % (0, 0)) + 10):
            handle.write(device % (n, n))
    assert path.stat().st_size > MAX_FILE_BYTES

    done = validate_in_subprocess(path)

    assert done.returncode == 1
    assert done.stdout == f"{path}: the file is larger than 4 MiB, the limit for a site file\n"


def test_the_size_limit_can_be_changed(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("dealer_id: 2\nsite_id: 3\ndevices: []\n", encoding="utf-8")
    assert check_site_file(path, max_bytes=40)[0] is not None
    site, problems = check_site_file(path, max_bytes=20)
    assert site is None
    assert [p.message for p in problems] == ["the file is larger than 20 bytes, the limit for a site file"]


def test_a_fifo_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "site.yaml"
    os.mkfifo(fifo)
    _, problems = check_site_file(fifo, root=tmp_path)  # would block forever if opened
    assert [str(p) for p in problems] == [f"{fifo}: cannot read file: not a regular file"]


def test_unreadable_inputs_are_problems(tmp_path: Path) -> None:
    (tmp_path / "bytes.yaml").write_bytes(b"dealer_id: 2\nname: \xff\n")
    (tmp_path / "folder.yaml").mkdir()
    found = {
        name: [p.message for p in check_site_file(tmp_path / name, root=tmp_path)[1]]
        for name in ("bytes.yaml", "folder.yaml", "missing.yaml")
    }
    assert found == {
        "bytes.yaml": ["not UTF-8 text (byte 0xff at offset 19)"],
        "folder.yaml": ["cannot read file: a directory"],
        "missing.yaml": ["cannot read file: No such file or directory"],
    }


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_bytes(b"\xef\xbb\xbfdealer_id: 2\nsite_id: 3\ndevices: []\n")
    assert check_site_file(path)[0] is not None


def test_lines_are_recorded_in_the_same_pass() -> None:
    parsed = load_with_lines(
        'dealer_id: 2\nsite_id: 3\ndevices:\n  - external_device_id: a\n    zone_number: "1"\n'
    )
    assert parsed.lines == {
        "": 1,
        "/dealer_id": 1,
        "/site_id": 2,
        "/devices": 3,
        "/devices/0": 4,
        "/devices/0/external_device_id": 4,
        "/devices/0/zone_number": 5,
    }


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#\n\t ,?%@`0123456789.~\\")), max_size=120))
def test_no_text_makes_the_parser_raise(text: str) -> None:
    data, problems, _ = parse_site_text(text, "fuzz.yaml")  # any exception fails the test
    for problem in problems:
        assert problem.file == "fuzz.yaml"
        assert len(problem.message) < 200
    if problems and not any(p.message.startswith("duplicate key") for p in problems):
        assert data is None
