"""check and diff: validation before any API call, and the replace/update/no-change decisions."""

from __future__ import annotations

from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.resources.fields import UNKNOWN
from tests.resources.conftest import inputs

PROVIDER = DeviceProvider()


def test_check_normalizes_formatting() -> None:
    result = PROVIDER.check({}, inputs(name="  Front  ", additional_zone_numbers=[" 002", "003 "], mac=""))
    assert result.failures == []
    assert result.inputs["name"] == "Front"
    assert result.inputs["additional_zone_numbers"] == "002,003"
    assert "mac" not in result.inputs  # empty means not set
    assert (
        PROVIDER.check({}, inputs(additional_zone_numbers="002, 003")).inputs["additional_zone_numbers"]
        == "002,003"
    )


def test_check_reports_every_failure_with_its_property() -> None:
    bad = {"dealer_id": "two", "site_id": 3, "device_type": "drone", "zone_number": 7, "colour": "red"}
    failures = {f.property: f.reason for f in PROVIDER.check({}, bad).failures}
    assert set(failures) == {"dealer_id", "device_type", "zone_number", "external_device_id", "colour"}
    assert "camera" in failures["device_type"]
    assert "unknown property" in failures["colour"]


def test_check_skips_values_not_known_yet() -> None:
    result = PROVIDER.check({}, inputs(name=UNKNOWN, zone=UNKNOWN))
    assert result.failures == []


def test_check_accepts_numeric_strings_for_ids() -> None:
    result = PROVIDER.check({}, {**inputs(), "dealer_id": "2", "site_id": " 3 "})
    assert result.failures == []
    assert (result.inputs["dealer_id"], result.inputs["site_id"]) == (2, 3)


def _outputs(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        **inputs(name="Front", additional_zone_numbers="002,003"),
        "device_id": 11,
        "registered_by_partner": "adc",
        "created_at": "2021-07-01T00:00:00.000Z",
        "updated_at": "2021-07-01T00:00:00.000Z",
        "mac": None,
        "__provider": "serialized",
    }
    base.update(changes)
    return base


def test_no_change_means_no_update() -> None:
    result = PROVIDER.diff("11", _outputs(), inputs(name="Front", additional_zone_numbers="002,003"))
    assert result.changes is False
    assert result.replaces == []


def test_formatting_only_differences_are_not_changes() -> None:
    news = {**inputs(name=" Front ", additional_zone_numbers=["002", " 003"], mac=""), "__provider": "other"}
    assert PROVIDER.diff("11", _outputs(), news).changes is False


def test_updatable_field_is_an_in_place_update() -> None:
    result = PROVIDER.diff("11", _outputs(), inputs(name="Back", additional_zone_numbers="002,003"))
    assert result.changes is True
    assert result.replaces == []
    assert result.stables is not None
    assert {"device_id", "created_at", "external_device_id"} <= set(result.stables)
    assert not {"updated_at", "name"} & set(result.stables)  # these change with the update


def test_removing_an_optional_field_is_an_update() -> None:
    assert PROVIDER.diff("11", _outputs(), inputs(name="Front")).changes is True


def test_identity_fields_force_a_delete_first_replacement() -> None:
    for field, value in (
        ("device_type", "bridge"),
        ("external_device_id", "cam-2"),
        ("site_id", 4),
        ("dealer_id", 5),
    ):
        news = {**inputs(name="Front", additional_zone_numbers="002,003"), field: value}
        result = PROVIDER.diff("11", _outputs(), news)
        assert result.changes is True
        assert result.replaces == [field]
        assert result.delete_before_replace is True


def test_unknown_new_value_counts_as_a_change() -> None:
    result = PROVIDER.diff("11", _outputs(), inputs(name=UNKNOWN, additional_zone_numbers="002,003"))
    assert result.changes is True
