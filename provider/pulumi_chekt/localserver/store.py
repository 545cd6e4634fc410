"""The server's model: dealers, their sites and the sites' devices, kept in SQLite.

No HTTP here. One connection guarded by a lock serves every thread; ``db_path=None`` keeps
everything in memory, a file keeps dealers, sites, devices and the device id counter across
restarts. Device ids come from an AUTOINCREMENT column, so they are global and never reused,
not even after ``reset``.

Uniqueness of ``zone_number`` and ``external_device_id`` within a site is checked here, in the
transaction that writes, and can be switched off (``unique_zones``, ``unique_external_ids``) to run
as an API that does not enforce it. Databases written by earlier versions, whose table declared both
as UNIQUE, are rebuilt without those constraints when opened (rows and the id counter kept).

A device is returned as a dict with every field of ``schemas/device.schema.json``, in the order
the reference lists them; optional text fields that were never set are ``null`` (not omitted), so
every device has the same shape. The table's columns are those fields, read from the schema, and a
database opened after a field was added gets the new column.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from os import PathLike, fspath
from typing import Any

from pulumi_chekt.contract import bundled_schema, schema
from pulumi_chekt.contract.device_fields import (
    CREATE_FIELDS,
    CREATED_AT,
    DEALER_ID,
    DEVICE_FIELDS,
    DEVICE_ID,
    EXTERNAL_ID,
    ID_FIELDS,
    PARTNER,
    SET_BY_SERVER,
    SITE_ID,
    UNIQUE_IN_SITE,
    UPDATED_AT,
    ZONE,
)

MAX_ID = 2**63 - 1  # SQLite's largest integer; larger ids cannot exist

SETTABLE = CREATE_FIELDS
"""Columns a caller may set; anything else in a given mapping is ignored (the schemas reject it first)."""
UPDATABLE = tuple(name for name in schema("device-update")["properties"] if name != DEVICE_ID)


def _column_type(rule: Mapping[str, Any]) -> str:
    kinds = rule.get("type")
    return "INTEGER" if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds) else "TEXT"


def _device_columns() -> list[str]:
    """The devices table's columns, one per field of schemas/device.schema.json (plus dealer and site):
    a field the API returns is a column here without a line of this module changing."""
    returned = bundled_schema("device")
    inputs = bundled_schema("device-inputs")["properties"]
    required = {*returned["required"], *SET_BY_SERVER}
    columns = [f"{DEVICE_ID} INTEGER PRIMARY KEY AUTOINCREMENT"]
    columns += [f"{name} {_column_type(inputs[name])} NOT NULL" for name in ID_FIELDS]
    columns += [
        f"{name} {_column_type(rule)}{' NOT NULL' if name in required else ''}"
        for name, rule in returned["properties"].items()
        if name != DEVICE_ID
    ]
    return columns


_DEVICES_TABLE = (
    "CREATE TABLE IF NOT EXISTS devices (\n    "
    + ",\n    ".join(_device_columns())
    + f",\n    FOREIGN KEY ({DEALER_ID}, {SITE_ID}) REFERENCES sites(dealer_id, site_id) ON DELETE CASCADE\n)"
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS dealers (dealer_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS sites (
    dealer_id INTEGER NOT NULL REFERENCES dealers(dealer_id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL,
    PRIMARY KEY (dealer_id, site_id)
);
{_DEVICES_TABLE};
CREATE INDEX IF NOT EXISTS devices_by_external_id ON devices ({DEALER_ID}, {SITE_ID}, {EXTERNAL_ID});
CREATE INDEX IF NOT EXISTS devices_by_zone ON devices ({DEALER_ID}, {SITE_ID}, {ZONE});
"""


class NotFound(LookupError):
    """The device (or site) does not exist where it was looked for."""


class Conflict(ValueError):
    """A uniqueness rule of the site would be broken (zone_number, external_device_id)."""


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, e.g. ``2021-07-01T00:00:00.000Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Thread-safe access to the SQLite database."""

    def __init__(
        self,
        path: str | PathLike[str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        *,
        unique_external_ids: bool = True,
        unique_zones: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._depth = 0
        self._unique = dict(zip(UNIQUE_IN_SITE, (unique_external_ids, unique_zones), strict=True))
        self._conn = sqlite3.connect(
            ":memory:" if path is None else fspath(path), check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._drop_unique_constraints()
            self._conn.executescript(_SCHEMA)
            self._add_missing_columns()

    def _drop_unique_constraints(self) -> None:
        """Rebuild a devices table of an earlier version (UNIQUE declared in the table) without them."""
        row = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'devices'"
        ).fetchone()
        if row is None or "UNIQUE" not in str(row[0]).upper():
            return
        kept = {column["name"] for column in self._conn.execute("PRAGMA table_info(devices)")}
        columns = ", ".join(name for name in (*ID_FIELDS, *DEVICE_FIELDS) if name in kept)
        with self.batch():
            counter = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'devices'").fetchone()
            self._conn.execute("ALTER TABLE devices RENAME TO devices_before_migration")
            self._conn.execute(_DEVICES_TABLE)
            self._conn.execute(
                f"INSERT INTO devices ({columns}) SELECT {columns} FROM devices_before_migration"  # noqa: S608
            )
            self._conn.execute("DROP TABLE devices_before_migration")
            if counter is not None:
                self._conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'devices'", (counter[0],))

    def _add_missing_columns(self) -> None:
        """A database written before a field was added to the schemas gets its column (null in old rows)."""
        present = {column["name"] for column in self._conn.execute("PRAGMA table_info(devices)")}
        for definition in _device_columns():
            name = definition.split(" ", 1)[0]
            if name not in present:
                self._conn.execute(f"ALTER TABLE devices ADD COLUMN {definition.removesuffix(' NOT NULL')}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the lock and one transaction; committed at the end, rolled back if an exception escapes."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    # dealers and sites

    def add_sites(self, dealers: Mapping[int, Iterable[int]]) -> None:
        """Create the dealers and sites that do not exist yet; existing ones (and their devices) stay."""
        with self.batch():
            for dealer_id, sites in dealers.items():
                self._conn.execute("INSERT OR IGNORE INTO dealers (dealer_id) VALUES (?)", (dealer_id,))
                for site_id in sites:
                    self._conn.execute(
                        "INSERT OR IGNORE INTO sites (dealer_id, site_id) VALUES (?, ?)", (dealer_id, site_id)
                    )

    def reset(self, dealers: Mapping[int, Iterable[int]]) -> None:
        """Drop every dealer, site and device, then create ``dealers``. The id counter keeps counting."""
        with self.batch():
            self._conn.execute("DELETE FROM devices")
            self._conn.execute("DELETE FROM sites")
            self._conn.execute("DELETE FROM dealers")
            self.add_sites(dealers)

    def dealer_exists(self, dealer_id: int) -> bool:
        return self._exists("SELECT 1 FROM dealers WHERE dealer_id = ?", (dealer_id,))

    def site_exists(self, dealer_id: int, site_id: int) -> bool:
        return self._exists("SELECT 1 FROM sites WHERE dealer_id = ? AND site_id = ?", (dealer_id, site_id))

    def counts(self) -> dict[str, int]:
        """How many dealers, sites and devices exist (for ``/_admin/stats``)."""
        with self._lock:
            return {
                table: int(self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
                for table in ("dealers", "sites", "devices")
            }

    # devices

    def list_devices(self, dealer_id: int, site_id: int) -> list[dict[str, Any]]:
        """Every device of the site, sorted by device_id."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM devices WHERE dealer_id = ? AND site_id = ? ORDER BY device_id",
                (dealer_id, site_id),
            ).fetchall()
        return [_device(row) for row in rows]

    def get_device(self, dealer_id: int, site_id: int, device_id: int) -> dict[str, Any] | None:
        """The device if it exists at this dealer's site (a device of another site is not found)."""
        row = self._row(dealer_id, site_id, device_id)
        return None if row is None else _device(row)

    def create_device(
        self, dealer_id: int, site_id: int, fields: Mapping[str, Any], partner: str
    ) -> dict[str, Any]:
        """Insert a device; raises Conflict when its zone or external id is already used at the site."""
        values = {name: fields.get(name) for name in SETTABLE}
        with self.batch():
            if not self.site_exists(dealer_id, site_id):
                raise NotFound(f"site {site_id} of dealer {dealer_id} does not exist")
            for column in self._unique:
                self._check_unique(dealer_id, site_id, column, values[column], None)
            stamp = format_timestamp(self._clock())
            columns = [*ID_FIELDS, *SETTABLE, PARTNER, CREATED_AT, UPDATED_AT]
            params = [dealer_id, site_id, *values.values(), partner, stamp, stamp]
            try:
                cursor = self._conn.execute(
                    f"INSERT INTO devices ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
                    params,
                )
            except sqlite3.IntegrityError as error:  # a rule the checks above should have caught
                raise Conflict(f"device conflicts with an existing device at this site ({error})") from error
            row = self._conn.execute(
                "SELECT * FROM devices WHERE device_id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _device(row)

    def update_device(
        self, dealer_id: int, site_id: int, device_id: int, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change the given fields (others stay) and move updated_at forward; NotFound or Conflict."""
        with self.batch():
            row = self._row(dealer_id, site_id, device_id)
            if row is None:
                raise NotFound(f"device {device_id} does not exist at site {site_id} of dealer {dealer_id}")
            values = {name: changes[name] for name in UPDATABLE if name in changes}
            for column in self._unique.keys() & values.keys():
                self._check_unique(dealer_id, site_id, column, values[column], device_id)
            values[UPDATED_AT] = self._next_stamp(row[UPDATED_AT])
            assignments = ", ".join(f"{name} = ?" for name in values)
            try:
                self._conn.execute(
                    f"UPDATE devices SET {assignments} WHERE device_id = ?",  # noqa: S608
                    [*values.values(), device_id],
                )
            except sqlite3.IntegrityError as error:
                raise Conflict(f"update conflicts with an existing device at this site ({error})") from error
            updated = self._row(dealer_id, site_id, device_id)
        assert updated is not None
        return _device(updated)

    def delete_device(self, dealer_id: int, site_id: int, device_id: int) -> dict[str, Any]:
        """Remove the device and return it as it was; NotFound if it is not at this site."""
        with self.batch():
            row = self._row(dealer_id, site_id, device_id)
            if row is None:
                raise NotFound(f"device {device_id} does not exist at site {site_id} of dealer {dealer_id}")
            self._conn.execute("DELETE FROM devices WHERE device_id = ?", (device_id,))
        return _device(row)

    # helpers

    def _exists(self, sql: str, params: tuple[int, ...]) -> bool:
        if any(not 1 <= value <= MAX_ID for value in params):
            return False
        with self._lock:
            return self._conn.execute(sql, params).fetchone() is not None

    def _row(self, dealer_id: int, site_id: int, device_id: int) -> sqlite3.Row | None:
        if any(not 1 <= value <= MAX_ID for value in (dealer_id, site_id, device_id)):
            return None
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(
                "SELECT * FROM devices WHERE device_id = ? AND dealer_id = ? AND site_id = ?",
                (device_id, dealer_id, site_id),
            ).fetchone()
        return row

    def _check_unique(
        self, dealer_id: int, site_id: int, column: str, value: Any, own_id: int | None
    ) -> None:
        """Conflict when another device of the site has ``value`` in ``column`` (and uniqueness is on)."""
        if not self._unique[column]:
            return
        row = self._conn.execute(
            f"SELECT device_id FROM devices WHERE dealer_id = ? AND site_id = ? AND {column} = ?",  # noqa: S608
            (dealer_id, site_id, value),
        ).fetchone()
        if row is not None and row[DEVICE_ID] != own_id:
            raise Conflict(f"{column} {value!r} is already used by device {row[DEVICE_ID]} at this site")

    def _next_stamp(self, previous: str) -> str:
        """Now, but always later than ``previous`` so that every update visibly moves updated_at."""
        now = self._clock()
        floor = _parse_timestamp(previous) + timedelta(milliseconds=1)
        return format_timestamp(max(now, floor))


def _device(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in DEVICE_FIELDS}
