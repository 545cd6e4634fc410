"""Configuration objects and files: defaults, validation and the secrets kept out of repr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_chekt.localserver import (
    ApiKeyConfig,
    ClientConfig,
    ConfigError,
    LocalServer,
    ServerConfig,
    load_config,
)

YAML = """
clients:
  - {client_id: yaml-client, client_secret: yaml-secret-1, partner: adc, dealers: "*"}
  - {client_id: narrow, client_secret: yaml-secret-2, partner: oe, dealers: [5]}
api_keys:
  - {key: yaml-key-1, partner: chekt}
dealers:
  - {dealer_id: 2, sites: [3, 4]}
  - {dealer_id: 5, sites: [6]}
token_lifetime: 60
max_body_bytes: 2048
faults: {latency_ms: 10}
"""


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text(YAML)
    config = load_config(path)
    assert [c.client_id for c in config.clients] == ["yaml-client", "narrow"]
    assert config.clients[0].dealers is None
    assert config.clients[1].dealers == (5,)
    assert config.api_keys[0].partner == "chekt"
    assert config.dealers == {2: [3, 4], 5: [6]}
    assert (config.token_lifetime, config.max_body_bytes) == (60, 2048)
    assert config.faults == {"latency_ms": 10}


def test_json_file_matches_yaml(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "a.yaml").write_text(YAML)
    (tmp_path / "b.json").write_text(json.dumps(yaml.safe_load(YAML)))
    assert load_config(tmp_path / "a.yaml") == load_config(tmp_path / "b.json")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("clients: [{client_id: c, client_secret: s, partner: nobody}]", "partner"),
        ("clients: [{client_id: c, partner: adc}]", "client_secret"),
        ("dealers: [{dealer_id: -1, sites: []}]", "dealer"),
        ("dealers: [{dealer_id: 2, sites: [x]}]", "sites"),
        ("bogus: 1", "bogus"),
        ("faults: {error_rate: 5}", "error_rate"),
        ("token_lifetime: -3", "token_lifetime"),
        ("- just a list", "mapping"),
        (
            "clients: [{client_id: c, client_secret: s, partner: adc}, {client_id: c, client_secret: t, partner: adc}]",
            "duplicate",
        ),
        ("{unbalanced", "YAML"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert words in str(raised.value)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_secret_errors_do_not_echo_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'clients: [{client_id: c, client_secret: "s3cr3t-value", partner: adc, dealers: 7}]\n"unclosed'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "s3cr3t-value" not in str(raised.value)


def test_secrets_are_not_in_repr() -> None:
    config = ServerConfig(
        clients=[ClientConfig(client_id="c", client_secret="very-secret-1", partner="adc")],
        api_keys=[ApiKeyConfig(key="very-secret-2", partner="chekt")],
    )
    assert "very-secret" not in repr(config)


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        ServerConfig(host="0.0.0.0")  # noqa: S104
    assert ServerConfig(host="::1").host == "::1"


def test_ipv6_loopback_url() -> None:
    try:
        server = LocalServer(ServerConfig(host="::1")).start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        assert server.url.startswith("http://[::1]:")
        assert server.admin.health() == {"status": "ok"}


def test_demo_config() -> None:
    demo = ServerConfig.demo()
    assert [(c.client_id, c.partner, c.dealers) for c in demo.clients] == [("demo-client", "adc", None)]
    assert [(k.partner, k.dealers) for k in demo.api_keys] == [("chekt", None)]
    assert demo.dealers == {2: [3, 4]}


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="65535"):
        ServerConfig(port=70000)


def test_server_options_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "server.yaml"
    path.write_text("request_timeout: 2.5\nunique_external_ids: false\nunique_zones: false\n")
    config = load_config(path)
    assert (config.request_timeout, config.unique_external_ids, config.unique_zones) == (2.5, False, False)
    defaults = ServerConfig()
    assert (defaults.request_timeout, defaults.unique_external_ids, defaults.unique_zones) == (
        5.0,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("request_timeout: 0", "request_timeout"),
        ("request_timeout: soon", "request_timeout"),
        ("request_timeout: 100000", "request_timeout"),
        ("unique_zones: 0", "unique_zones"),
        ('unique_external_ids: "no"', "unique_external_ids"),
        ("faults: {error_statuses: [418]}", "error_statuses"),
    ],
)
def test_bad_server_options_are_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(path)
