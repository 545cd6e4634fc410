"""Devices declared in code: one Device on its own, and a site built from a Python list.

Settings come from stack config (chekt:baseUrl, chekt:clientId, chekt:clientSecret, ...) or the
CHEKT_* environment variables; see the repository README.
"""

import pulumi

from pulumi_chekt import Device, DeviceArgs, SiteDevices

config = pulumi.Config("example")
dealer_id = config.get_int("dealerId") or 2
site_id = config.get_int("siteId") or 3

lobby = Device(
    "lobby-camera",
    DeviceArgs(
        dealer_id=dealer_id,
        site_id=site_id,
        external_device_id="lobby-cam",
        device_type="camera",
        zone_number="050",
        additional_zone_numbers=["051", "052"],
        name="Lobby Camera",
        manufacturer="CHeKT",
    ),
)

# Generated devices: a camera per parking level, validated as a whole before anything is created.
parking = SiteDevices(
    "parking",
    dealer_id=dealer_id,
    site_id=site_id,
    devices=[
        {
            "external_device_id": f"parking-l{level}",
            "device_type": "camera",
            "zone_number": f"2{level:02d}",
            "name": f"Parking level {level}",
        }
        for level in range(1, 4)
    ],
)

pulumi.export("lobby_device_id", lobby.device_id)
pulumi.export("parking_device_ids", {key: device.device_id for key, device in parking.devices.items()})
