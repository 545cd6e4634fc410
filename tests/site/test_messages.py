"""Messages a person can act on: each broken site file below yields exactly the lines shown.

One mistake, one message, at the line and JSON pointer of the value that is wrong; no Python repr,
no raw regular expression, values cut at 80 characters; a closest known name for a misspelt field;
the YAML quoting hint only where a number was given for a zone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_chekt.site import check_site_file

HEAD = "dealer_id: 2\nsite_id: 3\ndevices:\n"


def device(extra: str = "", ext: str = "cam-1", zone: str = '"001"', kind: str = "camera") -> str:
    return f"  - external_device_id: {ext}\n    device_type: {kind}\n    zone_number: {zone}\n{extra}"


FIELDS = "external_device_id, device_type, zone_number, additional_zone_numbers, name, mac, manufacturer, model, serial_number"
QUOTE = "(quote it: a bare 001 is read as the number 1)"
NEEDED = "dealer_id, site_id, devices"

CASES: dict[str, tuple[str, list[str]]] = {
    # --- the file as a whole: read, parse, shape ---
    "yaml syntax": (
        "dealer_id: 2\nsite_id: [\n",
        ["3: not valid YAML/JSON: did not find expected node content"],
    ),
    "tab indentation": (
        HEAD + "\t- x\n",
        [
            "4: not valid YAML/JSON: found character that cannot start any token (a tab: indent YAML with spaces)"
        ],
    ),
    "alias": (
        "dealer_id: 2\nsite_id: 3\ndefaults: &d {device_type: camera}\ndevices:\n"
        '  - external_device_id: a\n    zone_number: "1"\n    model: *d\n',
        ["7: aliases are not supported"],
    ),
    "nested too deep": (
        HEAD.replace("devices:\n", "devices: ") + "[" * 40 + "]" * 40 + "\n",
        ["3: nested deeper than 32 levels"],
    ),
    "python tag": (
        "dealer_id: !!python/object/apply:os.system [echo]\nsite_id: 3\ndevices: []\n",
        ["1: the tag !!python/object/apply:os.system is not supported"],
    ),
    "two documents": (
        "dealer_id: 2\nsite_id: 3\ndevices: []\n---\ndealer_id: 2\n",
        ["4: a site file holds one YAML document; another starts here"],
    ),
    "key that is a list": (
        "dealer_id: 2\nsite_id: 3\n? [a, b]\n: 1\ndevices: []\n",
        ["3: a key must be a plain name, not a list or mapping"],
    ),
    "duplicate key": (
        HEAD + device('    zone_number: "002"\n'),
        ["7: /devices/0/zone_number: duplicate key (first on line 6)"],
    ),
    "empty file": ("# nothing yet\n", [f": the file is empty; a site file is a mapping with {NEEDED}"]),
    "file is a list": (
        "- external_device_id: a\n- external_device_id: b\n",
        [f"1: a site file is a mapping with {NEEDED}, not a list"],
    ),
    "file is text": (
        "just some text\n",
        [f'1: a site file is a mapping with {NEEDED}, not "just some text"'],
    ),
    "invalid date": (
        HEAD + device("    serial_number: 2021-02-30\n"),
        ["7: 2021-02-30 is not a valid date (quote it if it is text)"],
    ),
    # --- fields: unknown, missing, misspelt ---
    "misspelt top-level field": (
        "dealer_id: 2\nsites_id: 3\ndevices: []\n",
        ['2: /sites_id: unknown field "sites_id" (did you mean "site_id"?)'],
    ),
    "misspelt device field": (
        HEAD + device('    zone_numbr: "002"\n'),
        ['7: /devices/0/zone_numbr: unknown field "zone_numbr" (did you mean "zone_number"?)'],
    ),
    "misspelt required device field": (
        HEAD + '  - external_device_id: a\n    device_type: camera\n    zone_numer: "1"\n',
        ['6: /devices/0/zone_numer: unknown field "zone_numer" (did you mean "zone_number"?)'],
    ),
    "unknown field, nothing close": (
        HEAD + device("    colour: red\n"),
        [f'7: /devices/0/colour: unknown field "colour" (allowed: {FIELDS})'],
    ),
    "misspelt defaults field": (
        "dealer_id: 2\nsite_id: 3\ndefaults:\n  devise_type: camera\ndevices: []\n",
        ['4: /defaults/devise_type: unknown field "devise_type" (did you mean "device_type"?)'],
    ),
    "missing site_id": ("dealer_id: 2\ndevices: []\n", ['1: /site_id: missing required field "site_id"']),
    "missing zone_number": (
        HEAD + "  - external_device_id: a\n    device_type: camera\n",
        ['4: /devices/0/zone_number: missing required field "zone_number"'],
    ),
    "missing device_type without defaults": (
        HEAD + '  - external_device_id: a\n    zone_number: "1"\n',
        [
            '4: /devices/0/device_type: missing required field "device_type" (set it on the device or in defaults)'
        ],
    ),
    # --- values ---
    "unknown device_type": (
        HEAD + device(kind="doorbell"),
        ['5: /devices/0/device_type: "doorbell" is not one of "camera", "bridge"'],
    ),
    "long unknown value is cut": (
        HEAD + device(kind="d" * 200),
        [f'5: /devices/0/device_type: "{"d" * 78}… is not one of "camera", "bridge"'],
    ),
    "zone as a bare number": (
        HEAD + device(zone="001"),
        [f"6: /devices/0/zone_number: 1 is not of type 'string' {QUOTE}"],
    ),
    "zone as a decimal": (
        HEAD + device(zone="1.5"),
        [f"6: /devices/0/zone_number: 1.5 is not of type 'string' {QUOTE}"],
    ),
    "zone empty": (HEAD + device(zone='""'), ["6: /devices/0/zone_number: a zone must not be empty"]),
    "zone blank": (HEAD + device(zone='"   "'), ["6: /devices/0/zone_number: a zone must not be empty"]),
    "zone left empty (null)": (
        HEAD + device(zone=""),
        ["6: /devices/0/zone_number: null is not of type 'string'"],
    ),
    "a number in the zone list": (
        HEAD + device('    additional_zone_numbers: ["002", 003]\n'),
        [f"7: /devices/0/additional_zone_numbers/1: 3 is not of type 'string' {QUOTE}"],
    ),
    "an empty item in the zone list": (
        HEAD + device('    additional_zone_numbers: ["002", ""]\n'),
        ["7: /devices/0/additional_zone_numbers/1: a zone must not be empty"],
    ),
    "an empty zone in a comma string": (
        HEAD + device('    additional_zone_numbers: "002,,003"\n'),
        ["7: /devices/0/additional_zone_numbers: a zone must not be empty"],
    ),
    "a comma string ending in a comma": (
        HEAD + device('    additional_zone_numbers: "002, 003,"\n'),
        ["7: /devices/0/additional_zone_numbers: a zone must not be empty"],
    ),
    "a comma string of blank zones": (
        HEAD + device('    additional_zone_numbers: " , "\n'),
        ["7: /devices/0/additional_zone_numbers: a zone must not be empty"],
    ),
    "additional zones as a number": (
        HEAD + device("    additional_zone_numbers: 2\n"),
        [f"7: /devices/0/additional_zone_numbers: expected a string or an array, got 2 {QUOTE}"],
    ),
    "additional zones as a mapping": (
        HEAD + device("    additional_zone_numbers: {a: 1}\n"),
        ["7: /devices/0/additional_zone_numbers: expected a string or an array, got an object"],
    ),
    "a boolean name gets no zone hint": (
        HEAD + device("    name: yes\n"),
        ["7: /devices/0/name: true is not of type 'string'"],
    ),
    "a numeric manufacturer gets no zone hint": (
        HEAD + device("    manufacturer: 7\n"),
        ["7: /devices/0/manufacturer: 7 is not of type 'string'"],
    ),
    "a date where text is expected": (
        HEAD + device("    serial_number: 2021-07-01\n"),
        [
            "7: /devices/0/serial_number: 2021-07-01 is not of type 'string' (quote it: YAML reads a bare 2021-07-01 as a date)"
        ],
    ),
    "dealer_id as text": (
        "dealer_id: '2'\nsite_id: 3\ndevices: []\n",
        ["1: /dealer_id: \"2\" is not of type 'integer'"],
    ),
    "dealer_id zero": (
        "dealer_id: 0\nsite_id: 3\ndevices: []\n",
        ["1: /dealer_id: 0 is less than the minimum of 1"],
    ),
    "site_id with decimals": (
        "dealer_id: 2\nsite_id: 3.5\ndevices: []\n",
        ["2: /site_id: 3.5 is not of type 'integer'"],
    ),
    "devices as a mapping": (
        HEAD + "  cam-1: {zone_number: '1'}\n",
        ["3: /devices: expected an array, got an object"],
    ),
    "a device that is text": (HEAD + "  - cam-1\n", ['4: /devices/0: expected an object, got "cam-1"']),
    "empty external id: one message": (
        HEAD + device(ext='""'),
        ["4: /devices/0/external_device_id: must not be empty, nor start or end with a space"],
    ),
    "external id with a space around it": (
        HEAD + device(ext='" cam-1"'),
        ["4: /devices/0/external_device_id: must not be empty, nor start or end with a space"],
    ),
    "long external id": (
        HEAD + device(ext="x" * 200),
        ["4: /devices/0/external_device_id: is 200 characters long; at most 128 allowed"],
    ),
    "long name": (
        HEAD + device("    name: " + "n" * 300 + "\n"),
        ["7: /devices/0/name: is 300 characters long; at most 255 allowed"],
    ),
    # --- rules across devices ---
    "duplicate external id": (
        HEAD + device() + device(zone='"002"'),
        [
            '7: /devices/1/external_device_id: external_device_id "cam-1" is already used by /devices/0 (line 4)'
        ],
    ),
    "duplicate zone, spelt with spaces": (
        HEAD + device() + device(ext="cam-2", zone='" 001 "'),
        ['9: /devices/1/zone_number: zone_number "001" is already used by /devices/0 (line 6)'],
    ),
    "two empty zones: one message each, no duplicate": (
        HEAD + device(zone='""') + device(ext="cam-2", zone='""'),
        [
            "6: /devices/0/zone_number: a zone must not be empty",
            "9: /devices/1/zone_number: a zone must not be empty",
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_file_gets_exactly_its_messages(case: str, tmp_path: Path) -> None:
    text, expected = CASES[case]
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")

    site, problems = check_site_file(path, root=tmp_path)

    assert site is None
    assert [str(p) for p in problems] == [
        f"{path}{'' if line.startswith(':') else ':'}{line}" for line in expected
    ]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", list(CASES))
def test_no_message_shows_a_repr_a_regex_or_a_whole_value(case: str, tmp_path: Path) -> None:
    text, _ = CASES[case]
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    for problem in check_site_file(path, root=tmp_path)[1]:
        assert "^" not in problem.message and "\\S" not in problem.message  # no regular expression
        assert "{'" not in problem.message and "['" not in problem.message  # no Python repr of data
        assert len(problem.message) < 200
