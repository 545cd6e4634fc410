"""Property-based checks of normalization: formatting never shows up as a change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.resources.fields import (
    UPDATABLE_FIELDS,
    canonical_zones,
    comparable,
    normalize,
    update_changes,
)
from tests.resources.conftest import inputs

zones = st.lists(st.from_regex(r"\A[0-9A-Za-z]{1,6}\Z"), min_size=0, max_size=5, unique=True)
padding = st.sampled_from(["", " ", "  ", "\t"])
PROVIDER = DeviceProvider()


@given(zones, padding, padding)
def test_zone_spellings_agree(values: list[str], before: str, after: str) -> None:
    as_list = [f"{before}{zone}{after}" for zone in values]
    as_text = ", ".join(as_list)
    assert canonical_zones(as_list) == canonical_zones(as_text) == ",".join(values)


@given(st.text(max_size=40), padding, padding)
def test_normalize_is_idempotent(name: str, before: str, after: str) -> None:
    once = normalize(inputs(name=f"{before}{name}{after}", additional_zone_numbers=" 1 , 2 "))
    assert normalize(once) == once


@given(zones, padding, st.sampled_from(["Front", "Back door"]))
def test_formatting_only_edits_are_never_a_change(values: list[str], pad: str, name: str) -> None:
    canonical = normalize(inputs(name=name, additional_zone_numbers=",".join(values)))
    outputs = {
        **canonical,
        "device_id": 7,
        "created_at": "t",
        "updated_at": "t",
        "registered_by_partner": "adc",
    }
    reformatted = inputs(name=f"{pad}{name}{pad}", additional_zone_numbers=[f"{pad}{z}" for z in values])
    assert PROVIDER.diff("7", outputs, reformatted).changes is False


optional_text = st.one_of(st.none(), st.sampled_from(["", " ", "a", " a ", "b"]))
device_values = st.fixed_dictionaries(
    {"zone_number": st.sampled_from(["001", " 001", "002"])},  # required: never cleared
    optional={
        "additional_zone_numbers": st.one_of(optional_text, st.sampled_from(["1,2", "1, 2", "2"])),
        "name": optional_text,
        "mac": optional_text,
        "serial_number": optional_text,
        "device_type": st.sampled_from(["camera", "bridge"]),
    },
)


@given(device_values, device_values)
def test_update_changes_bring_live_to_desired(live: dict[str, object], desired: dict[str, object]) -> None:
    """The one rule for "what an update must send" (the provider's writes and `summarize --live`):
    only updatable fields, nothing for a formatting-only difference, "" to clear, and once applied the
    live device compares equal to the desired one on every updatable field."""
    changes = update_changes(live, desired)
    assert set(changes) <= set(UPDATABLE_FIELDS)
    applied = {**live, **changes}
    after, want = comparable(applied), comparable(desired)
    assert {k: after.get(k) for k in UPDATABLE_FIELDS} == {k: want.get(k) for k in UPDATABLE_FIELDS}
    assert update_changes(applied, desired) == {}
