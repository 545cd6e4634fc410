"""Fault injection: error and rate-limit rates, latency, dropped connections and the one-shot queue."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import AdminClient, AdminError, LocalServer, ServerConfig

DEVICES = "/partner/v1/dealers/{dealerId}/sites/{siteId}/devices"


def test_error_rate_one_answers_every_request_with_503(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(error_rate=1.0)
    for _ in range(3):
        response = api.list(token=token, headers={"x-partner-trace-id": "t-1"})
        assert response.status_code == 503
        assert_valid("error", response.json())
        assert response.json()["trace_id"] == "t-1"
    admin.set_faults()
    assert api.list(token=token).status_code == 200


def test_error_status_is_configurable(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(error_rate=1.0, error_status=502)
    assert api.list(token=token).status_code == 502


def test_injected_error_before_processing_creates_nothing(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(error_rate=1.0)
    assert api.create([Api.device(1)], token=token).status_code == 503
    admin.set_faults()
    assert api.list(token=token).json() == []


def test_rate_limit_answers_429_with_retry_after(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(rate_limit_rate=1.0, retry_after=7)
    response = api.list(token=token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert_valid("error", response.json())


def test_seeded_rates_are_reproducible(api: Api, admin: AdminClient) -> None:
    token = api.token

    def run() -> list[int]:
        admin.set_faults(error_rate=0.5, seed=1234)
        return [api.list(token=token).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert {200, 503} == set(first)


def test_latency_delays_each_request(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(latency_ms=300)
    started = time.monotonic()
    assert api.list(token=token).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_rate_closes_the_connection_without_answer(
    api: Api, admin: AdminClient, server: LocalServer
) -> None:
    token = api.token
    admin.set_faults(drop_rate=1.0)
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            api.list(token=token)
    admin.set_faults()
    assert api.list(token=token).status_code == 200
    assert admin.health()["status"] == "ok"


def test_queued_before_fault_answers_once_then_clears(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(status=500, method="POST", path="/devices$")
    assert api.list(token=token).status_code == 200  # GET does not match
    assert api.create([Api.device(1)], token=token).status_code == 500
    assert api.list(token=token).json() == []  # "before": the create was not processed
    assert api.create([Api.device(1)], token=token).status_code == 201
    assert admin.faults()["queue"] == []


def test_queued_after_fault_processes_the_request_then_fails(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(status=500, method="POST", when="after")
    response = api.create([Api.device(1)], token=token)
    assert response.status_code == 500
    devices = api.list(token=token).json()
    assert [d["external_device_id"] for d in devices] == ["ext-1"]  # the device really exists


def test_queued_after_drop_loses_the_response_but_keeps_the_device(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(drop=True, when="after", method="POST")
    with pytest.raises(requests.ConnectionError):
        api.create([Api.device(1)], token=token)
    assert len(api.list(token=token).json()) == 1
    assert admin.request_count("POST", DEVICES) == 1


def test_queued_after_delay_causes_a_read_timeout_but_processes(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(delay_ms=1500, when="after", method="POST")
    with pytest.raises(requests.ReadTimeout):
        api.call("POST", api.url(), json=[Api.device(1)], token=token, timeout=0.5)
    assert len(api.list(token=token).json()) == 1


def test_queued_fault_times_and_retry_after(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(status=429, retry_after=3, times=2, method="get")
    first, second, third = (api.list(token=token) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "3"


def test_queued_faults_apply_in_order(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.queue_fault(status=502)
    admin.queue_fault(status=504)
    assert [api.list(token=token).status_code for _ in range(3)] == [502, 504, 200]


def test_queued_fault_can_hit_the_token_endpoint(api: Api, admin: AdminClient, server: LocalServer) -> None:
    admin.queue_fault(status=503, path="^/oauth/token$")
    response = requests.post(
        server.token_url, data={"grant_type": "client_credentials"}, auth=("test-client", "x"), timeout=10
    )
    assert response.status_code == 503
    assert api.get_token()


def test_admin_requests_are_not_faulted(admin: AdminClient) -> None:
    admin.set_faults(error_rate=1.0, drop_rate=1.0)
    assert admin.health() == {"status": "ok"}
    assert admin.faults()["error_rate"] == 1.0


def test_server_keeps_serving_concurrent_requests_while_dropping(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(drop_rate=0.5, seed=7)
    outcomes: list[str] = []

    def worker() -> None:
        for _ in range(5):
            try:
                outcomes.append(str(api.list(token=token).status_code))
            except requests.ConnectionError:
                outcomes.append("dropped")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) == {"200", "dropped"}
    admin.set_faults()
    assert api.list(token=token).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"error_rate": 2},
        {"error_rate": "high"},
        {"error_status": 200},
        {"latency_ms": -1},
        {"unknown": 1},
        {"queue": [{"path": "("}]},
        {"queue": [{"when": "later"}]},
        {"item_failures": [{"status_code": 500}]},
    ],
)
def test_invalid_fault_settings_are_refused(admin: AdminClient, fields: dict[str, object]) -> None:
    with pytest.raises(AdminError) as raised:
        admin.set_faults(**fields)
    assert raised.value.status == 400
    assert admin.faults()["error_rate"] == 0.0


def test_faults_from_config_apply_from_the_start_and_after_reset(server_config: ServerConfig) -> None:
    server_config.faults = {"error_rate": 1.0, "error_status": 500}
    with LocalServer(server_config) as server:
        url = f"{server.url}/partner/v1/dealers/2/sites/3/devices"
        assert requests.get(url, timeout=10).status_code == 500
        server.admin.set_faults()
        assert requests.get(url, timeout=10).status_code == 401
        server.admin.reset()
        assert requests.get(url, timeout=10).status_code == 500
