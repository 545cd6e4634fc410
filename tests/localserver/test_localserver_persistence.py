"""A database file keeps dealers, sites, devices and the id counter across restarts."""

from __future__ import annotations

from pathlib import Path

from localserver_helpers import Api

from pulumi_chekt.localserver import LocalServer, ServerConfig


def test_restart_on_the_same_file_keeps_everything(server_config: ServerConfig, tmp_path: Path) -> None:
    server_config.db_path = tmp_path / "chekt.sqlite3"
    with LocalServer(server_config) as server:
        api = Api(server)
        kept = api.create_one(1, name="kept")
        deleted = api.create_one(2)
        assert api.delete([deleted["device_id"]]).json()["success_count"] == 1
        server.admin.seed([{"dealer_id": 90, "sites": [{"site_id": 91, "devices": [Api.device(5)]}]}])
        updated = api.update([{"device_id": kept["device_id"], "name": "renamed"}]).json()["results"][0][
            "res"
        ]
    assert server_config.db_path.stat().st_size > 0

    with LocalServer(server_config) as server:
        api = Api(server)
        assert api.list().json() == [updated]
        assert len(api.list(dealer=90, site=91).json()) == 1  # seeded at run time, still there
        fresh = api.create_one(3)
        assert fresh["device_id"] > deleted["device_id"]  # the counter survived, ids are not reused


def test_tokens_do_not_survive_a_restart(server_config: ServerConfig, tmp_path: Path) -> None:
    server_config.db_path = tmp_path / "chekt.sqlite3"
    with LocalServer(server_config) as server:
        token = Api(server).token
    with LocalServer(server_config) as server:
        assert Api(server).list(token=token).status_code == 401


def test_in_memory_servers_share_nothing(server_config: ServerConfig) -> None:
    with LocalServer(server_config) as first, LocalServer(server_config) as second:
        Api(first).create_one(1)
        assert Api(second).list().json() == []
        assert first.port != second.port


def test_stop_is_idempotent_and_start_again_works(server_config: ServerConfig) -> None:
    server = LocalServer(server_config).start()
    assert server.admin.health() == {"status": "ok"}
    server.stop()
    server.stop()
    assert not server.running
    with server:
        assert server.admin.health() == {"status": "ok"}
