"""Admin endpoints: health, stats counting, reset, seed and fault configuration round trips."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import AdminClient, AdminError, LocalServer

DEVICES = "/partner/v1/dealers/{dealerId}/sites/{siteId}/devices"


def test_health(admin: AdminClient) -> None:
    assert admin.health() == {"status": "ok"}


def test_stats_count_every_api_request_by_route_template(api: Api, admin: AdminClient) -> None:
    assert admin.stats()["total"] == 0
    api.get_token()
    requests.post(api.server.token_url, data={"grant_type": "client_credentials"}, timeout=10)  # 401
    api.create([Api.device(1)])
    api.create([Api.device(2)], token="bad")  # failed requests count too
    api.list()
    api.get(1)
    api.get("abc")
    api.call("DELETE", api.url())
    api.call("GET", f"{api.server.url}/nowhere")
    admin.health()  # admin requests are not counted
    stats = admin.stats()
    assert stats["requests"] == {
        "POST /oauth/token": 3,  # two explicit + the one api.token fetched for create
        f"POST {DEVICES}": 2,
        f"GET {DEVICES}": 1,
        f"GET {DEVICES}/{{deviceId}}": 2,
        f"DELETE {DEVICES}": 1,
        "GET (unmatched)": 1,
    }
    assert stats["total"] == 10
    assert admin.request_count("post", DEVICES) == 2
    assert admin.request_count("PUT", DEVICES) == 0


def test_faulted_requests_are_counted(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.create([Api.device(1)], token=token)
    assert admin.request_count("POST", DEVICES) == 1
    assert admin.request_count("POST", f"{DEVICES}/bulk-delete") == 0


def test_reset_restores_the_start_state(api: Api, admin: AdminClient) -> None:
    api.create_one(1)
    admin.seed([{"dealer_id": 40, "sites": [41]}])
    admin.set_faults(latency_ms=5)
    admin.reset()
    stats = admin.stats()
    assert stats["total"] == 0
    assert stats["store"] == {"dealers": 3, "sites": 4, "devices": 0}
    assert admin.faults()["latency_ms"] == 0
    fresh = Api(api.server)
    assert fresh.list().json() == []
    assert fresh.list(dealer=40, site=41).status_code == 404


def test_device_ids_keep_counting_after_reset(api: Api, admin: AdminClient) -> None:
    before = api.create_one(1)["device_id"]
    admin.reset()
    after = Api(api.server).create_one(1)["device_id"]
    assert after > before


def test_seed_creates_dealers_sites_and_devices(api: Api, admin: AdminClient) -> None:
    result = admin.seed(
        [
            {
                "dealer_id": 2,
                "sites": [
                    {
                        "site_id": 3,
                        "devices": [Api.device(1), {**Api.device(2), "registered_by_partner": "oe"}],
                    },
                    {"site_id": 30},
                ],
            },
            {"dealer_id": 50, "sites": [51]},
        ]
    )
    devices = result["devices"]
    assert len(devices) == 2
    for device in devices:
        assert_valid("device", device)
    assert [d["registered_by_partner"] for d in devices] == ["chekt", "oe"]
    assert api.list().json() == devices
    assert api.list(dealer=2, site=30).json() == []
    assert api.list(dealer=50, site=51).status_code == 200


@pytest.mark.parametrize(
    ("dealers", "status"),
    [
        ([{"dealer_id": 0}], 400),
        ([{"dealer_id": 2, "sites": [{"site_id": 3, "devices": [{"zone_number": "1"}]}]}], 400),
        (
            [
                {
                    "dealer_id": 2,
                    "sites": [{"site_id": 3, "devices": [{**Api.device(1), "registered_by_partner": "x"}]}],
                }
            ],
            400,
        ),
        (
            [
                {
                    "dealer_id": 2,
                    "sites": [
                        {"site_id": 3, "devices": [Api.device(1), {**Api.device(2), "zone_number": "001"}]}
                    ],
                }
            ],
            409,
        ),
    ],
)
def test_invalid_seed_is_refused_and_changes_nothing(
    api: Api, admin: AdminClient, dealers: list[dict[str, Any]], status: int
) -> None:
    with pytest.raises(AdminError) as raised:
        admin.seed([{"dealer_id": 60, "sites": [61]}, *dealers])
    assert raised.value.status == status
    assert api.list().json() == []
    assert api.list(dealer=60, site=61).status_code == 404


def test_faults_round_trip_and_queue(admin: AdminClient) -> None:
    admin.set_faults(
        error_rate=0.25, seed=3, item_failures=[{"device_id": 9, "status_code": 500, "error_message": "m"}]
    )
    admin.queue_fault(status=503, times=2, method="post", path="devices")
    faults = admin.faults()
    assert faults["error_rate"] == 0.25
    assert faults["seed"] == 3
    assert faults["item_failures"][0]["device_id"] == 9
    assert faults["queue"] == [
        {
            "status": 503,
            "retry_after": None,
            "drop": False,
            "delay_ms": 0,
            "times": 2,
            "method": "POST",
            "path": "devices",
            "when": "before",
        }
    ]
    admin.set_faults()
    assert admin.faults()["queue"] == []


def test_admin_errors(server: LocalServer) -> None:
    base = f"{server.url}/_admin"
    json_type = {"Content-Type": "application/json"}
    assert requests.put(f"{base}/faults", data=b"{", headers=json_type, timeout=10).status_code == 400
    assert requests.put(f"{base}/faults", json=[1], timeout=10).status_code == 400
    assert requests.post(f"{base}/faults/queue", json={"times": 0}, timeout=10).status_code == 400
    assert requests.post(f"{base}/seed", json={"dealers": [], "x": 1}, timeout=10).status_code == 400
    assert requests.delete(f"{base}/faults", timeout=10).status_code == 405
    assert requests.get(f"{base}/nope", timeout=10).status_code == 404


def test_stats_add_up_the_devices_returned_by_list_calls(api: Api, admin: AdminClient) -> None:
    for n in range(3):
        api.create_one(n)
    api.create([Api.device(9)], site=4)
    assert admin.stats()["devices_listed"] == 0
    api.list()
    api.list()
    api.list(site=4)
    api.get(1)  # a single device is not a list
    api.list(site=999)  # 404: nothing returned
    stats = admin.stats()
    assert stats["devices_listed"] == 3 + 3 + 1
    assert set(stats) == {"total", "requests", "devices_listed", "rate_limited", "store"}
    admin.reset()
    assert admin.stats()["devices_listed"] == 0
