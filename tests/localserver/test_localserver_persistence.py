"""A database file keeps dealers, sites, devices and the id counter across restarts."""

from __future__ import annotations

import sqlite3
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


OLD_DEVICES_TABLE = """
CREATE TABLE dealers (dealer_id INTEGER PRIMARY KEY);
CREATE TABLE sites (
    dealer_id INTEGER NOT NULL REFERENCES dealers(dealer_id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL,
    PRIMARY KEY (dealer_id, site_id)
);
CREATE TABLE devices (
    device_id INTEGER PRIMARY KEY AUTOINCREMENT,
    dealer_id INTEGER NOT NULL, site_id INTEGER NOT NULL, device_type TEXT NOT NULL,
    zone_number TEXT NOT NULL, additional_zone_numbers TEXT, manufacturer TEXT,
    registered_by_partner TEXT NOT NULL, external_device_id TEXT NOT NULL, name TEXT, mac TEXT,
    model TEXT, serial_number TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    FOREIGN KEY (dealer_id, site_id) REFERENCES sites(dealer_id, site_id) ON DELETE CASCADE,
    UNIQUE (dealer_id, site_id, zone_number),
    UNIQUE (dealer_id, site_id, external_device_id)
);
INSERT INTO dealers VALUES (2);
INSERT INTO sites VALUES (2, 3);
INSERT INTO devices VALUES (7, 2, 3, 'camera', '001', NULL, NULL, 'adc', 'ext-1', 'old', NULL, NULL, NULL,
    '2021-07-01T00:00:00.000Z', '2021-07-01T00:00:00.000Z');
UPDATE sqlite_sequence SET seq = 40 WHERE name = 'devices';
"""


def test_a_database_of_an_earlier_version_opens_without_its_unique_constraints(
    server_config: ServerConfig, tmp_path: Path
) -> None:
    """Earlier versions declared uniqueness in the table; with uniqueness off it must still be possible."""
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.executescript(OLD_DEVICES_TABLE)
    connection.close()
    server_config.db_path = db
    server_config.unique_external_ids = server_config.unique_zones = False
    with LocalServer(server_config) as server:
        api = Api(server)
        assert [(d["device_id"], d["name"]) for d in api.list().json()] == [(7, "old")]
        duplicate = api.create_one(1)  # same external id and zone as device 7
        assert duplicate["device_id"] > 40  # the id counter of the old file is kept
        assert len(api.list().json()) == 2
