"""The command line server as a subprocess: startup line, serving, clean stop, refusals, no leaked secrets."""

from __future__ import annotations

import json
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

LINE = re.compile(r"^CHeKT local API listening on (http://127\.0\.0\.1:(\d+))$")
SECRETS = ("cli-secret-AAA111", "cli-api-key-BBB222")
DEVICES = "/partner/v1/dealers/2/sites/3/devices"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pulumi_chekt.localserver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(process: subprocess.Popen[str], timeout: float = 20) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            pytest.fail("the server printed nothing in time")
    return process.stdout.readline().rstrip("\n")


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the server did not stop on the signal")
    return out, err


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "server.json"
    path.write_text(
        json.dumps(
            {
                "clients": [
                    {"client_id": "cli-client", "client_secret": SECRETS[0], "partner": "adc", "dealers": "*"}
                ],
                "api_keys": [{"key": SECRETS[1], "partner": "chekt", "dealers": [2]}],
                "dealers": [{"dealer_id": 2, "sites": [3]}],
            }
        )
    )
    return path


@pytest.fixture
def cli(config_file: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    port_file = tmp_path / "port"
    process = _start("--port", "0", "--config", str(config_file), "--port-file", str(port_file))
    try:
        yield process, _first_line(process), port_file
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_serves_and_stops_on_sigterm_without_leaking_secrets(
    cli: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, line, port_file = cli
    match = LINE.match(line)
    assert match, line
    url, port = match.groups()
    assert port_file.read_text().strip() == port

    token_url = f"{url}/oauth/token?client_secret={SECRETS[0]}"  # even a secret in the query is not logged
    token = requests.post(
        token_url, data={"grant_type": "client_credentials"}, auth=("cli-client", SECRETS[0]), timeout=10
    )
    assert token.status_code == 200
    access = token.json()["access_token"]
    form = {"grant_type": "client_credentials", "client_id": "cli-client", "client_secret": SECRETS[0] + "x"}
    assert requests.post(f"{url}/oauth/token", data=form, timeout=10).status_code == 401
    created = requests.post(
        url + DEVICES,
        json=[{"external_device_id": "e1", "device_type": "camera", "zone_number": "1"}],
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    assert created.status_code == 201
    listed = requests.get(url + DEVICES, headers={"Authorization": f"Bearer {SECRETS[1]}"}, timeout=10)
    assert [d["external_device_id"] for d in listed.json()] == ["e1"]
    assert (
        requests.get(
            url + DEVICES, headers={"Authorization": f"Bearer {SECRETS[1]}x"}, timeout=10
        ).status_code
        == 401
    )

    out, err = _stop(process)
    assert process.returncode == 0
    assert out == ""  # the startup line was the only stdout output
    assert "POST /oauth/token 200" in err  # the request log is there, without query or credentials
    for secret in (*SECRETS, access):
        assert secret not in out + err


def test_stops_on_sigint(cli: tuple[subprocess.Popen[str], str, Path]) -> None:
    process, line, _ = cli
    assert LINE.match(line)
    _stop(process, signal.SIGINT)
    assert process.returncode == 0


def test_demo_defaults_and_fault_flags(tmp_path: Path) -> None:
    process = _start("--port", "0", "--fault-error-rate", "1", "--fault-error-status", "502")
    try:
        match = LINE.match(_first_line(process))
        assert match
        url = match.group(1)
        token = requests.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
            timeout=10,
        )
        assert token.status_code == 502  # the fault applies to the token endpoint too
        requests.put(f"{url}/_admin/faults", json={}, timeout=10).raise_for_status()
        token = requests.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
            timeout=10,
        )
        assert token.status_code == 200
        for key in (token.json()["access_token"], "demo-api-key"):
            response = requests.get(url + DEVICES, headers={"Authorization": f"Bearer {key}"}, timeout=10)
            assert response.status_code == 200
        assert (
            requests.get(
                f"{url}/partner/v1/dealers/2/sites/4/devices",
                headers={"Authorization": "Bearer demo-api-key"},
                timeout=10,
            ).status_code
            == 200
        )
    finally:
        _stop(process)


def test_db_flag_persists_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    headers = {"Authorization": "Bearer demo-api-key"}
    for run in range(2):
        process = _start("--port", "0", "--db", str(db))
        try:
            match = LINE.match(_first_line(process))
            assert match
            url = match.group(1) + DEVICES
            if run == 0:
                item = {"external_device_id": "kept", "device_type": "bridge", "zone_number": "9"}
                assert requests.post(url, json=[item], headers=headers, timeout=10).status_code == 201
            else:
                assert [
                    d["external_device_id"] for d in requests.get(url, headers=headers, timeout=10).json()
                ] == ["kept"]
        finally:
            _stop(process)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])  # noqa: S104
def test_non_loopback_host_is_refused(host: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.localserver", "--host", host, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert result.stdout == ""
    assert time.monotonic() - started < 30


def test_bad_config_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("clients: [{client_id: c, client_secret: hidden-secret-zzz, partner: nobody}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.localserver", "--config", str(path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "partner" in result.stderr
    assert "hidden-secret-zzz" not in result.stderr


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "chekt-local-api"]
    assert script.value == "pulumi_chekt.localserver.__main__:main"
    assert callable(script.load())


def test_version() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.localserver", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"chekt-local-api {version('pulumi-chekt')}")


def test_a_missing_werkzeug_gives_an_install_hint() -> None:
    """werkzeug is an optional extra: without it the command says how to install it (no traceback)."""
    blocked = "import sys; sys.modules['werkzeug'] = None; from pulumi_chekt.localserver.__main__ import main; main(['--port', '0'])"
    result = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1
    assert "pip install 'pulumi-chekt[localserver]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_server_flags_override_the_config_file(config_file: Path) -> None:
    from pulumi_chekt.localserver.__main__ import build_parser, config_from_args

    args = build_parser().parse_args(
        [
            "--config",
            str(config_file),
            "--request-timeout",
            "1.5",
            "--no-unique-external-ids",
            "--no-unique-zones",
            "--fault-error-statuses",
            "500,502",
            "--fault-drop-after-rate",
            "0.05",
            "--fault-latency-spike-rate",
            "0.1",
            "--fault-latency-spike-ms",
            "2000",
            "--fault-item-failure-rate",
            "0.05",
            "--fault-item-failure-statuses",
            "500,503,429",
            "--fault-seed",
            "3",
        ]
    )
    config = config_from_args(args)
    assert (config.request_timeout, config.unique_external_ids, config.unique_zones) == (1.5, False, False)
    assert config.faults == {
        "error_statuses": [500, 502],
        "drop_after_rate": 0.05,
        "latency_spike_rate": 0.1,
        "latency_spike_ms": 2000,
        "item_failure_rate": 0.05,
        "item_failure_statuses": [500, 503, 429],
        "seed": 3,
    }
    defaults = config_from_args(build_parser().parse_args([]))
    assert (defaults.request_timeout, defaults.unique_external_ids, defaults.unique_zones) == (
        5.0,
        True,
        True,
    )


def test_bad_status_list_flag_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.localserver", "--fault-error-statuses", "500,abc"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "status codes" in result.stderr
