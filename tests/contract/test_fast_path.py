"""The fast validity check (fastjsonschema over the bundled schemas) never accepts what jsonschema,
the authority, rejects; and it does accept what is valid, or it would buy nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_chekt.contract import problems, schema_dir, validator
from pulumi_chekt.contract.schemas import _fast, passes_fast_check

NAMES = sorted(path.name.removesuffix(".schema.json") for path in schema_dir().glob("*.schema.json"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.sampled_from(["", " ", "a", " a", "a\n", "001", "camera", "bridge", "adc", "1,2", "x" * 130]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["dealer_id", "site_id", "devices", "zone_number", "x"]), inner, max_size=3
        ),
    ),
    max_leaves=8,
)

DEVICE_KEYS = [
    "external_device_id",
    "device_type",
    "zone_number",
    "additional_zone_numbers",
    "name",
    "colour",
]


@st.composite
def site_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid site files with a few values replaced by anything."""
    devices = []
    for n in range(draw(st.integers(0, 3))):
        device: dict[str, Any] = {
            "external_device_id": f"d{n}",
            "device_type": "camera",
            "zone_number": f"{n:03d}",
        }
        for key in draw(st.lists(st.sampled_from(DEVICE_KEYS), max_size=2)):
            device[key] = draw(st.one_of(scalars, st.lists(scalars, max_size=2)))
        devices.append(device)
    document: dict[str, Any] = {"dealer_id": 2, "site_id": 3, "devices": devices}
    if draw(st.booleans()):
        document["defaults"] = {"device_type": draw(st.sampled_from(["camera", "drone", 1]))}
    if draw(st.booleans()):
        document[draw(st.sampled_from(["dealer_id", "site_id", "devices", "description"]))] = draw(scalars)
    return document


def test_every_schema_has_a_fast_path() -> None:
    assert [name for name in NAMES if name != "openapi" and _fast(name) is None] == []


@settings(max_examples=400, deadline=None)
@given(document=site_documents())
def test_site_files_fast_valid_implies_valid(document: dict[str, Any]) -> None:
    strict = validator("site").is_valid(document)
    assert passes_fast_check("site", document) == strict  # agree both ways on site files
    assert (problems("site", document) == []) == strict


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_any_value_fast_valid_implies_valid(name: str, value: Any) -> None:
    if passes_fast_check(name, value):
        assert validator(name).is_valid(value)


def test_the_ecma_end_of_string_holds_on_the_fast_path() -> None:
    item = {"external_device_id": "a\n", "device_type": "camera", "zone_number": "1"}
    assert not passes_fast_check("device-create", item)
    assert [p.field for p in problems("device-create", item)] == ["external_device_id"]
