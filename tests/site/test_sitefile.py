"""Site files: every problem reported at once, with file, line, JSON pointer and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_chekt.program import load_sites, site_files
from pulumi_chekt.site import SiteValidationError, check_site_file, load_site_file, site_from_mapping

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sites"


def write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_site_files_are_valid() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 2
    sites = [load_site_file(f) for f in files]
    types = {d["device_type"] for s in sites for d in s.devices}
    assert types == {"camera", "bridge"}
    assert any("additional_zone_numbers" in d for s in sites for d in s.devices)


def test_defaults_apply_unless_a_device_sets_the_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
dealer_id: 2
site_id: 3
defaults: {device_type: camera, manufacturer: Hanwha}
devices:
  - {external_device_id: a, zone_number: "001", additional_zone_numbers: ["002", "003"]}
  - {external_device_id: b, zone_number: "004", device_type: bridge, manufacturer: CHeKT}
""",
    )
    site = load_site_file(path)
    assert site.devices[0] == {
        "external_device_id": "a",
        "device_type": "camera",
        "manufacturer": "Hanwha",
        "zone_number": "001",
        "additional_zone_numbers": "002,003",
    }
    assert (site.devices[1]["device_type"], site.devices[1]["manufacturer"]) == ("bridge", "CHeKT")


def test_every_problem_is_reported_with_file_line_and_pointer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """dealer_id: 2
site_id: 3
devices:
  - external_device_id: cam-1
    device_type: drone
    zone_number: "001"
  - external_device_id: cam-1
    device_type: camera
    zone_number: "001"
  - external_device_id: cam-3
    device_type: camera
    zone_number: 7
""",
    )
    with pytest.raises(SiteValidationError) as caught:
        load_site_file(path)
    by_pointer = {p.pointer: p for p in caught.value.problems}
    assert set(by_pointer) == {
        "/devices/0/device_type",
        "/devices/1/external_device_id",
        "/devices/1/zone_number",
        "/devices/2/zone_number",
    }
    assert by_pointer["/devices/0/device_type"].line == 5
    assert "camera" in by_pointer["/devices/0/device_type"].message
    assert "already used by /devices/0" in by_pointer["/devices/1/zone_number"].message
    assert "quote it" in by_pointer["/devices/2/zone_number"].message
    text = str(caught.value)
    assert f"{path}:5: /devices/0/device_type" in text
    assert "4 problems" in text


def test_device_type_is_required_without_a_default(tmp_path: Path) -> None:
    _, problems = check_site_file(
        write(tmp_path, "dealer_id: 2\nsite_id: 3\ndevices:\n  - {external_device_id: a, zone_number: '1'}\n")
    )
    assert [(p.pointer, p.line) for p in problems] == [("/devices/0/device_type", 4)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dealer_id: 2\nsite_id: [\n", "not valid YAML"),
        ("dealer_id: 2\ndealer_id: 3\nsite_id: 3\ndevices: []\n", "duplicate key"),
        ("dealer_id: 2\nsite_id: 3\ndevices: []\nowner: me\n", 'unknown field "owner"'),
        ("- just\n- a list\n", "a site file is a mapping with dealer_id, site_id, devices, not a list"),
        ("dealer_id: '2'\nsite_id: 3\ndevices: []\n", "is not of type 'integer'"),
    ],
)
def test_bad_files_are_explained(tmp_path: Path, text: str, expected: str) -> None:
    site, problems = check_site_file(write(tmp_path, text))
    assert site is None
    assert any(expected in p.message for p in problems), problems


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    site, problems = check_site_file(tmp_path / "missing.yaml")
    assert site is None
    assert problems[0].message == "cannot read file: No such file or directory"


def test_json_site_files_work_too(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '{"dealer_id": 2, "site_id": 3, "devices": [{"external_device_id": "a", "device_type": "camera", "zone_number": "1"}]}',
        "s.json",
    )
    assert load_site_file(path).devices[0]["external_device_id"] == "a"


def test_in_code_sites_are_validated_the_same_way() -> None:
    with pytest.raises(SiteValidationError) as caught:
        site_from_mapping(
            {
                "dealer_id": 2,
                "site_id": 3,
                "devices": [{"external_device_id": "a", "device_type": "tank", "zone_number": "1"}],
            }
        )
    assert caught.value.problems[0].file == "<inline>"
    assert caught.value.problems[0].pointer == "/devices/0/device_type"


def test_program_rejects_two_files_for_one_site_and_lists_all_files_problems(tmp_path: Path) -> None:
    body = "dealer_id: 2\nsite_id: 3\ndevices: []\n"
    write(tmp_path, body, "a.yaml")
    write(tmp_path, body, "b.yaml")
    write(
        tmp_path, "dealer_id: 2\nsite_id: 4\ndevices: [{external_device_id: x, zone_number: '1'}]\n", "c.yaml"
    )
    files = site_files(["*.yaml"], tmp_path)
    assert [f.name for f in files] == ["a.yaml", "b.yaml", "c.yaml"]
    with pytest.raises(SiteValidationError) as caught:
        load_sites(files, tmp_path)
    messages = [str(p) for p in caught.value.problems]
    assert "b.yaml:2: /site_id: dealer 2 site 3 is also declared in a.yaml:2" in messages
    assert any(m.startswith("c.yaml:3: /devices/0/device_type") for m in messages)
