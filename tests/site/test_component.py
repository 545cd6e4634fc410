"""SiteDevices under Pulumi's unit-test mocks: the engine is mocked, our component code is not."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from pulumi_chekt.site import SiteDevices, SiteValidationError


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks() -> RecordingMocks:
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    return recorder


DEVICES = [
    {"external_device_id": "cam-b", "device_type": "camera", "zone_number": "002"},
    {
        "external_device_id": "cam-a",
        "device_type": "camera",
        "zone_number": "001",
        "additional_zone_numbers": ["3", "4"],
    },
]


@pulumi.runtime.test
def test_one_device_child_per_entry_named_by_external_id(mocks: RecordingMocks) -> pulumi.Output[Any]:
    site = SiteDevices("site-2-3", dealer_id=2, site_id=3, devices=DEVICES)

    def check(_: Any) -> None:
        devices = [r for r in mocks.resources if r.typ == "pulumi-python:dynamic/chekt:Device"]
        assert sorted(r.name for r in devices) == ["2/3/cam-a", "2/3/cam-b"]
        by_name = {r.name: r.inputs for r in devices}
        assert by_name["2/3/cam-a"]["additional_zone_numbers"] == "3,4"
        assert by_name["2/3/cam-a"]["dealer_id"] == 2

    return pulumi.Output.all(*[d.urn for d in site.devices.values()]).apply(check)


def test_invalid_site_fails_before_any_resource_is_registered(mocks: RecordingMocks) -> None:
    bad = [*DEVICES, {"external_device_id": "cam-a", "device_type": "camera", "zone_number": "001"}]
    with pytest.raises(SiteValidationError) as caught:
        SiteDevices("site-2-3", dealer_id=2, site_id=3, devices=bad)
    assert {p.pointer for p in caught.value.problems} == {
        "/devices/2/external_device_id",
        "/devices/2/zone_number",
    }
    assert mocks.resources == []


def test_exactly_one_source_of_devices_is_required(mocks: RecordingMocks) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SiteDevices("x", dealer_id=2, site_id=3)


@pulumi.runtime.test
def test_device_args_accept_outputs_and_secrets(mocks: RecordingMocks) -> pulumi.Output[Any]:
    from pulumi_chekt import Device, DeviceArgs

    device = Device(
        "secret-serial",
        DeviceArgs(
            dealer_id=2,
            site_id=3,
            external_device_id=pulumi.Output.from_input("cam-9"),
            device_type="camera",
            zone_number="009",
            serial_number=pulumi.Output.secret("SN-9"),
        ),
    )

    def check(_: Any) -> None:
        registered = next(r for r in mocks.resources if r.name == "secret-serial")
        secret = registered.inputs["serial_number"]
        assert secret["value"] == "SN-9"
        assert secret["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"  # kept secret
        assert registered.inputs["external_device_id"] == "cam-9"

    return device.urn.apply(check)
