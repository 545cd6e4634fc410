"""Fault injection: error and rate-limit rates, latency, dropped connections and the one-shot queue."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import fields

import pytest
import requests
from localserver_helpers import Api, assert_valid

from pulumi_chekt.localserver import AdminClient, AdminError, LocalServer, ServerConfig
from pulumi_chekt.localserver.__main__ import build_parser, config_from_args
from pulumi_chekt.localserver.config import ConfigError
from pulumi_chekt.localserver.faults import FaultInjector, FaultSettings, command_line_flags

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


# --- the fault mix of the chaos campaign (issue 8) ------------------------------------------------------


def test_error_statuses_are_picked_at_random(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(error_rate=1.0, error_status=500, error_statuses=[500, 502, 503, 504], seed=11)
    statuses = [api.list(token=token).status_code for _ in range(40)]
    assert set(statuses) == {500, 502, 503, 504}
    admin.set_faults(error_rate=1.0, error_status=502, error_statuses=[])  # empty list: error_status
    assert api.list(token=token).status_code == 502


def test_drop_after_processes_the_create_then_loses_the_answer(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(drop_after_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.create([Api.device(1)], token=token)
    admin.set_faults()
    assert [d["external_device_id"] for d in api.list(token=token).json()] == ["ext-1"]
    assert admin.request_count("POST", DEVICES) == 1


def test_a_fault_before_processing_wins_over_drop_after(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(error_rate=1.0, drop_after_rate=1.0)
    assert api.create([Api.device(1)], token=token).status_code == 503
    admin.set_faults()
    assert api.list(token=token).json() == []


def test_latency_spike_adds_to_latency(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(latency_ms=100, latency_spike_rate=1.0, latency_spike_ms=300)
    started = time.monotonic()
    assert api.list(token=token).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_item_failures_fail_items_alone_and_apply_nothing(api: Api, admin: AdminClient) -> None:
    token = api.token
    kept = api.create_one(1)
    admin.set_faults(item_failure_rate=1.0, item_failure_statuses=[503])
    created = api.create([Api.device(2), Api.device(3)], token=token).json()
    updated = api.update([{"device_id": kept["device_id"], "name": "new"}], token=token).json()
    deleted = api.delete([kept["device_id"]], token=token).json()
    for outcome in (created, updated, deleted):
        assert outcome["success_count"] == 0
        for result in outcome["results"]:
            assert result["status_code"] == 503
            assert "injected" in result["error_message"]
            assert_valid("bulk-result", outcome)
    admin.set_faults()
    assert api.list(token=token).json() == [kept]  # nothing was created, updated or deleted


def test_item_failure_statuses_are_picked_per_item(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(item_failure_rate=0.5, item_failure_statuses=[500, 503, 429], seed=5)
    outcome = api.create([Api.device(n) for n in range(60)], token=token).json()
    failed = [r for r in outcome["results"] if not r["is_successful"]]
    assert {r["status_code"] for r in failed} == {500, 503, 429}
    assert 0 < outcome["success_count"] < 60
    admin.set_faults()
    live = {d["external_device_id"] for d in api.list(token=token).json()}
    assert live == {r["req"]["external_device_id"] for r in outcome["results"] if r["is_successful"]}


def test_invalid_items_still_fail_with_400_before_injected_failures(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(item_failure_rate=1.0)
    result = api.create([{"external_device_id": "x"}], token=token).json()["results"][0]
    assert result["status_code"] == 400


def test_forced_item_failure_wins_over_the_rate(api: Api, admin: AdminClient) -> None:
    token = api.token
    admin.set_faults(
        item_failure_rate=1.0,
        item_failure_statuses=[503],
        item_failures=[{"external_device_id": "ext-1", "status_code": 422, "error_message": "forced"}],
    )
    result = api.create([Api.device(1)], token=token).json()["results"][0]
    assert (result["status_code"], result["error_message"]) == (422, "forced")


def _outcomes(injector: FaultInjector, requests_: int) -> list[tuple[int | None, bool, bool, int]]:
    plans = [injector.plan("POST", "/x") for _ in range(requests_)]
    return [
        (
            plan.before.status if plan.before else None,
            bool(plan.before and plan.before.drop),
            bool(plan.after and plan.after.drop),
            plan.latency_ms,
        )
        for plan in plans
    ]


def test_every_request_draws_the_same_numbers_whatever_the_settings() -> None:
    """Turning one fault on must not shift the random decisions of the others (seeded campaigns)."""
    base = {"error_rate": 0.3, "seed": 42}
    alone = _outcomes(FaultInjector(FaultSettings.from_dict(base)), 200)
    mixed_settings = FaultSettings.from_dict(
        {**base, "latency_spike_rate": 0.5, "latency_spike_ms": 10, "item_failure_rate": 0.5}
    )
    mixed = FaultInjector(mixed_settings)
    for _ in range(7):
        mixed.item_failure("ext", None)  # item draws come from their own RNG
    assert [status for status, *_ in _outcomes(mixed, 200)] == [status for status, *_ in alone]


def test_item_draws_do_not_depend_on_requests_in_between() -> None:
    settings = FaultSettings.from_dict(
        {"item_failure_rate": 0.4, "item_failure_statuses": [500, 429], "seed": 8}
    )
    quiet, busy = FaultInjector(settings), FaultInjector(settings)
    first = []
    second = []
    for n in range(100):
        busy.plan("GET", "/x")
        first.append(quiet.item_failure(f"e{n}", None))
        second.append(busy.item_failure(f"e{n}", None))
    assert first == second
    assert {f.status_code for f in first if f is not None} == {500, 429}


def test_seeded_mix_is_reproducible_through_the_server(api: Api, admin: AdminClient) -> None:
    token = api.token

    def run() -> list[object]:
        admin.reset()
        admin.set_faults(
            error_rate=0.2,
            error_statuses=[500, 502],
            rate_limit_rate=0.2,
            item_failure_rate=0.3,
            item_failure_statuses=[500, 503],
            seed=99,
        )
        seen: list[object] = []
        for n in range(15):
            response = api.create([Api.device(n), Api.device(n + 100)], token=token)
            body = response.json()
            seen.append((response.status_code, [r.get("status_code") for r in body.get("results", [])]))
        return seen

    first = run()
    assert first == run()
    assert len({status for status, _ in first}) > 1  # type: ignore[misc]


def test_plan_latency_is_latency_plus_spike() -> None:
    settings = FaultSettings.from_dict(
        {"latency_ms": 50, "latency_spike_rate": 1.0, "latency_spike_ms": 2000}
    )
    assert FaultInjector(settings).plan("GET", "/x").latency_ms == 2050
    no_spike = FaultSettings.from_dict({"latency_ms": 50, "latency_spike_ms": 2000})
    assert FaultInjector(no_spike).plan("GET", "/x").latency_ms == 50


@pytest.mark.parametrize(
    "fields",
    [
        {"error_statuses": [200]},
        {"error_statuses": [429]},
        {"error_statuses": [600]},
        {"error_statuses": "500"},
        {"error_statuses": [True]},
        {"latency_spike_rate": 1.5},
        {"latency_spike_ms": -1},
        {"latency_spike_ms": 10_000_000},
        {"drop_after_rate": -0.1},
        {"item_failure_rate": "0.5"},
        {"item_failure_statuses": []},
        {"item_failure_statuses": [99]},
        {"item_failure_statuses": [500.5]},
    ],
)
def test_invalid_new_fault_settings_are_refused(admin: AdminClient, fields: dict[str, object]) -> None:
    with pytest.raises(AdminError) as raised:
        admin.set_faults(**fields)
    assert raised.value.status == 400
    assert next(iter(fields)) in raised.value.message


def test_new_fault_settings_round_trip(admin: AdminClient) -> None:
    settings = {
        "error_statuses": [500, 504],
        "latency_spike_rate": 0.05,
        "latency_spike_ms": 2000,
        "drop_after_rate": 0.025,
        "item_failure_rate": 0.05,
        "item_failure_statuses": [500, 503, 429],
    }
    faults = admin.set_faults(**settings)
    assert {key: faults[key] for key in settings} == settings
    assert {key: admin.faults()[key] for key in settings} == settings


def test_every_setting_reads_back_what_it_wrote() -> None:
    """Each field states once how it is read: what GET /_admin/faults shows, PUT takes back unchanged."""
    settings = FaultSettings.from_dict(
        {
            "error_rate": 0.5,
            "error_statuses": [500, 502],
            "latency_spike_ms": 20,
            "item_failure_statuses": [429],
            "item_failures": [
                {"external_device_id": "cam-1", "times": 2},
                {"device_id": 7, "status_code": 409},
            ],
            "token_lifetime": 60,
            "seed": 4,
            "queue": [{"status": 502, "method": "get", "path": "^/oauth", "when": "after", "times": 3}],
        }
    )
    assert settings.queue[0].method == "GET"
    assert FaultSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    assert FaultSettings.from_dict(FaultSettings().to_dict()) == FaultSettings()


def test_each_flag_sets_its_setting_and_is_checked_by_the_same_rule() -> None:
    flags = command_line_flags()
    defaults = {item.name: item.default for item in fields(FaultSettings)}
    assert set(flags) <= set(defaults)

    def text(value: object) -> str:  # a valid value: the default, as it is typed on the command line
        return ",".join(map(str, value)) if isinstance(value, tuple) else str(1 if value is None else value)

    argv = [part for name in flags for part in (f"--fault-{name.replace('_', '-')}", text(defaults[name]))]
    config = config_from_args(build_parser().parse_args(argv))
    assert config.faults is not None and set(config.faults) == set(flags)
    with pytest.raises(ConfigError, match=r"error_rate must be a number from 0 to 1, got 2\.0"):
        config_from_args(build_parser().parse_args(["--fault-error-rate", "2"]))
