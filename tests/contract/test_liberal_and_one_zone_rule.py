"""One definition of a zone for site files and Device.check; liberal reading of what the API returns.

Before: zones had to match ^[0-9A-Za-z]{1,16}$ even in responses, so one live device with zone
"Zone-12" broke list, export and refresh for its whole site; a closed enum did the same for an
unknown registered_by_partner; and the provider accepted ["002", 3] that a site file refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_chekt.api import ChektClient
from pulumi_chekt.contract import schema
from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.site.sitefile import validate_site_data

PROVIDER = DeviceProvider()
ZONE_FIELDS = ("zone_number", "additional_zone_numbers")

zone_text = st.one_of(
    st.sampled_from(["001", " 001 ", "", "   ", "\t", "Zone-12", "1,2", "002, 003", " ,", "A b"]),
    st.text(alphabet=" ,\t0aZ-", max_size=6),
)
zone_value = st.one_of(zone_text, st.integers(0, 999), st.none(), st.booleans())
zone_list = st.lists(st.one_of(zone_text, st.integers(0, 99)), max_size=3)


def site_rejects(device: dict[str, Any]) -> set[str]:
    """The zone fields a site file holding this one device is rejected for."""
    found = validate_site_data({"dealer_id": 2, "site_id": 3, "devices": [device]}, "s.yaml", {})
    return {p.pointer.split("/")[3] for p in found} & set(ZONE_FIELDS)


def check_rejects(device: dict[str, Any]) -> set[str]:
    """The zone fields Device.check rejects these inputs for."""
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, **device})
    return {f.property for f in result.failures} & set(ZONE_FIELDS)


@settings(max_examples=300, deadline=None)
@given(zone=zone_value, additional=st.one_of(st.none(), zone_text, zone_list, st.integers(0, 9)))
def test_site_files_and_device_check_agree_on_every_zone(zone: Any, additional: Any) -> None:
    device: dict[str, Any] = {"external_device_id": "a", "device_type": "camera", "zone_number": zone}
    if additional is not None:
        device["additional_zone_numbers"] = additional
    assert site_rejects(device) == check_rejects(device)


@pytest.mark.parametrize(
    ("given_zones", "sent"),
    [
        (["002", " 003"], "002,003"),
        ("002, 003", "002,003"),
        ("002,003", "002,003"),
        ("A-1, B 2", "A-1,B 2"),
        ([], None),
    ],
)
def test_zone_lists_in_every_spelling(given_zones: Any, sent: str | None) -> None:
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, "external_device_id": "a", "device_type": "camera",
                                 "zone_number": " Zone-12 ", "additional_zone_numbers": given_zones})  # fmt: skip
    assert result.failures == []
    assert result.inputs["zone_number"] == "Zone-12"
    assert result.inputs.get("additional_zone_numbers") == sent


def test_a_bad_item_in_a_zone_list_is_named_by_the_check() -> None:
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, "external_device_id": "a", "device_type": "camera",
                                 "zone_number": "1", "additional_zone_numbers": ["002", 3, " "]})  # fmt: skip
    assert sorted(f.reason for f in result.failures) == [
        "additional_zone_numbers: 3 is not of type 'string'",
        "additional_zone_numbers: a zone must not be empty",
    ]


EMPTY_ZONE = "a zone must not be empty"


@pytest.mark.parametrize(
    ("zones", "pointer"),
    [
        ("002,,003", ""),
        ("002,003,", ""),
        (",002", ""),
        (" , ", ""),
        (["002", ""], "/1"),
        (["002", "  "], "/1"),
        (["002", ","], "/1"),
        (["002, ,003"], "/0"),
    ],
)
def test_an_empty_zone_is_refused_in_either_form_with_one_message(zones: Any, pointer: str) -> None:
    device = {"external_device_id": "a", "device_type": "camera", "zone_number": "1"}
    found = validate_site_data(
        {"dealer_id": 2, "site_id": 3, "devices": [{**device, "additional_zone_numbers": zones}]},
        "s.yaml",
        {},
    )
    assert [(p.pointer, p.message) for p in found] == [
        (f"/devices/0/additional_zone_numbers{pointer}", EMPTY_ZONE)
    ]
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, **device, "additional_zone_numbers": zones})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("additional_zone_numbers", f"additional_zone_numbers: {EMPTY_ZONE}")
    ]


def test_the_zone_rule_and_its_message_are_those_of_common_schema() -> None:
    definitions = schema("common")["$defs"]
    assert definitions["zone_number"]["patternErrorMessage"] == EMPTY_ZONE
    assert definitions["additional_zone_numbers"]["patternErrorMessage"] == EMPTY_ZONE


@pytest.mark.parametrize("blank", ["", "   ", " \t"])
def test_a_blank_comma_string_means_no_additional_zones(blank: str) -> None:
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, "external_device_id": "a", "device_type": "camera",
                                 "zone_number": "1", "additional_zone_numbers": blank})  # fmt: skip
    assert result.failures == []
    assert "additional_zone_numbers" not in result.inputs


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=" ,\t0aZ-", max_size=10))
def test_normalizing_never_drops_or_invents_a_zone(text: str) -> None:
    """Before, "002,,003" became "002,003": a zone silently lost. Now a comma string is either refused or
    sent with exactly as many zones as it holds."""
    result = PROVIDER.check({}, {"dealer_id": 2, "site_id": 3, "external_device_id": "a", "device_type": "camera",
                                 "zone_number": "1", "additional_zone_numbers": text})  # fmt: skip
    if result.failures:
        return
    sent = result.inputs.get("additional_zone_numbers", "")
    expected = [zone.strip() for zone in text.split(",")] if text.strip() else []
    assert (sent.split(",") if sent else []) == expected
    assert all(expected)


def test_a_live_device_with_a_zone_we_would_not_invent_does_not_break_its_site(
    admin: Any, api: ChektClient
) -> None:
    admin.seed([{"dealer_id": 2, "sites": [{"site_id": 3, "devices": [
        {"external_device_id": "odd", "device_type": "camera", "zone_number": "Zone-12"},
        {"external_device_id": "plain", "device_type": "bridge", "zone_number": "001"},
    ]}]}])  # fmt: skip
    listed = {d["external_device_id"]: d["zone_number"] for d in api.list_devices(2, 3)}
    assert listed == {"odd": "Zone-12", "plain": "001"}


LIVE = [
    {"device_id": 1, "device_type": "doorbell", "zone_number": "Zone-12", "external_device_id": "a",
     "registered_by_partner": "acme", "firmware": {"version": "2"}, "created_at": "2021-07-01T00:00:00.000Z"},
    {"device_id": 2, "device_type": "camera", "zone_number": "001", "external_device_id": "b",
     "registered_by_partner": "adc", "name": None},
]  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    """An API that already knows values we do not (a new partner, a new device type, a new field)."""

    def do_GET(self) -> None:
        body = json.dumps(LIVE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def newer_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unknown_values_and_fields_from_the_api_are_read_not_refused(newer_api: str) -> None:
    client = ChektClient.from_credentials(base_url=newer_api, api_token="test-token")
    try:
        devices = client.list_devices(2, 3)
    finally:
        client.close()
    assert [(d["device_type"], d["registered_by_partner"]) for d in devices] == [
        ("doorbell", "acme"),
        ("camera", "adc"),
    ]
