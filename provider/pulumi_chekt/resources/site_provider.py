"""The dynamic provider behind the site record (``SiteRecord``): one per declared site.

Inputs: the site and its declared set (external id -> device fields), and ``prune``. Outputs: the
managed devices as last applied (with their device_ids) and the live devices no file declares, as
last listed. Its old outputs against its new inputs tell, before any device is written, what the
change does to the whole site — removals, zone moves, replacements, adoptions — so ``create``/
``update`` write the whole site in bulk (``site_step``) and the devices' own steps, which the engine
runs after it, only collect their outcomes.

Never replaced: the devices name it in ``deleted_with``, and a replaced target would replace every
device. ``delete`` removes every managed device of the site in bulk (the engine skips their own
deletes when their site record goes in the same run), so it must know them all: they are in its
outputs, and a failed delete keeps the record, so the next run finishes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_chekt.api import ChektError, ChektNotFound
from pulumi_chekt.contract.device_fields import DEALER_ID, DEVICE_ID, DEVICE_TYPE, EXTERNAL_ID, SITE_ID, ZONE
from pulumi_chekt.resources import engine_log
from pulumi_chekt.resources.errors import DeviceOperationError
from pulumi_chekt.resources.fields import input_problems, normalize
from pulumi_chekt.resources.provider import RuntimeProvider
from pulumi_chekt.resources.round_runner import no_holders, run_to_completion
from pulumi_chekt.resources.site_changes import Row, decode_row, encode_row, row_of
from pulumi_chekt.resources.site_step import SiteResult, undeclared_row
from pulumi_chekt.resources.snapshot import READ_MAX_AGE_SECONDS
from pulumi_chekt.resources.writes import State, new_delete
from pulumi_chekt.resources.zone_conflicts import undeclared_holders

SITE_FIELDS = (DEALER_ID, SITE_ID, "prune", "devices")
STABLE = (DEALER_ID, SITE_ID)


def positive_id(value: Any) -> int | None:
    """An id as the engine passes it (every number crosses gRPC as a float): 3 and 3.0, not 3.5 or True."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 1:
        return None
    return int(value)


def site_key(props: Mapping[str, Any]) -> tuple[int, int]:
    return int(props[DEALER_ID]), int(props[SITE_ID])


def record_id(site: tuple[int, int]) -> str:
    return f"{site[0]}/{site[1]}"


def declared_rows(props: Mapping[str, Any]) -> dict[str, Row]:
    devices = props.get("devices") or {}
    return {str(external_id): row_of(decode_row(row)) for external_id, row in devices.items()}


def applied_rows(props: Mapping[str, Any]) -> dict[str, Row]:
    """The managed devices of old outputs: rows with their device_ids."""
    devices = props.get("devices") or {}
    return {str(external_id): decode_row(row) for external_id, row in devices.items()}


def encoded(rows: Mapping[str, Row]) -> dict[str, str]:
    return {external_id: encode_row(row) for external_id, row in rows.items()}


def undeclared_of(props: Mapping[str, Any]) -> list[Row]:
    """The live devices no file declares, from state (ids come back from the engine as floats)."""
    rows = [dict(row) for row in props.get("undeclared") or [] if isinstance(row, Mapping)]
    for row in rows:
        row[DEVICE_ID] = positive_id(row.get(DEVICE_ID)) or row.get(DEVICE_ID)
    return rows


def prunable(props: Mapping[str, Any], declared: Mapping[str, Row]) -> list[Row]:
    """The undeclared devices of ``props`` that ``prune`` would delete."""
    return [row for row in undeclared_of(props) if str(row.get(EXTERNAL_ID)) not in declared]


class SiteProvider(RuntimeProvider):
    """Writes a whole site in bulk; shares the process's runtime with the devices' provider."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        for key in (DEALER_ID, SITE_ID):
            if positive_id(news.get(key)) is None:
                failures.append(CheckFailure(key, f"{key} must be a positive integer, got {news.get(key)!r}"))
        if failures:
            return CheckResult(news, failures)
        site = site_key(news)
        if olds.get(DEALER_ID) is not None and site_key(olds) != site:
            failures.append(
                CheckFailure(
                    SITE_ID, f"a site record cannot move from {record_id(site_key(olds))} to another site"
                )
            )
        devices: dict[str, Row] = {}
        for external_id, text in (news.get("devices") or {}).items():
            raw = json.loads(text) if isinstance(text, str) and text.startswith("{") else text
            if not isinstance(raw, Mapping):
                failures.append(
                    CheckFailure(f"devices.{external_id}", f"{external_id}: not a device's fields")
                )
                continue
            inputs = normalize({**dict(raw), DEALER_ID: site[0], SITE_ID: site[1], EXTERNAL_ID: external_id})
            failures += [
                CheckFailure(
                    f"devices.{external_id}.{p.field or ''}", f"{external_id}: {p.field}: {p.message}"
                )
                for p in input_problems(inputs)
            ]
            devices[str(external_id)] = row_of(inputs)
        inputs = {
            DEALER_ID: site[0],
            SITE_ID: site[1],
            "prune": bool(news.get("prune")),
            "devices": encoded(devices),
        }
        return CheckResult(inputs, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        declared = declared_rows(news)
        applied = {key: row_of(row) for key, row in applied_rows(olds).items()}
        prune = bool(news.get("prune"))
        changed = (
            applied != declared
            or bool(olds.get("prune")) != prune
            or (prune and bool(prunable(olds, declared)))
        )
        if changed:
            self._warn_conflicts(olds, news, declared, applied)
        return DiffResult(changes=changed, replaces=[], stables=list(STABLE), delete_before_replace=False)

    def _warn_conflicts(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        declared: Mapping[str, Row],
        applied: Mapping[str, Row],
    ) -> None:
        """Plan-time truth at no cost: what the last listing (``up`` or a refresh) says will fail."""
        site = site_key(news)
        undeclared = undeclared_of(olds)
        moving = [
            (external_id, str(row.get(ZONE)))
            for external_id, row in declared.items()
            if applied.get(external_id, {}).get(ZONE) != row.get(ZONE)
        ]
        messages = [
            f"device {c.external_id!r} will fail: {c.reason}"
            for c in undeclared_holders(moving, undeclared, declared, prune=bool(news.get("prune")))
        ]
        by_external = {str(row.get(EXTERNAL_ID)): row for row in undeclared}
        for external_id, row in declared.items():
            live = by_external.get(external_id)
            if (
                external_id not in applied
                and live is not None
                and live.get(DEVICE_TYPE) != row.get(DEVICE_TYPE)
            ):
                messages.append(
                    f"device {external_id!r} will fail: it exists at dealer {site[0]} site {site[1]} as a "
                    f"{live.get(DEVICE_TYPE)}, not a {row.get(DEVICE_TYPE)}; delete it in CHeKT or declare "
                    "its real device_type"
                )
        urn = engine_log.calling_urn()
        for message in messages:
            engine_log.warn(message, urn)

    # --- writes ------------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        site = site_key(props)
        result = self._apply(site, {}, props, [])
        return CreateResult(record_id(site), self._outputs(props, result))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        site = site_key(news)
        result = self._apply(site, applied_rows(olds), news, undeclared_of(olds))
        return UpdateResult(self._outputs(news, result))

    def _apply(
        self,
        site: tuple[int, int],
        previous: Mapping[str, Row],
        news: Mapping[str, Any],
        undeclared: list[Row],
    ) -> SiteResult:
        writing = self.runtime.site(site)
        try:
            with self.runtime.workers.busy(), writing.exclusive():
                return writing.step.apply(
                    previous, declared_rows(news), prune=bool(news.get("prune")), undeclared_before=undeclared
                )
        except ChektNotFound as error:
            raise DeviceOperationError(
                f"dealer {site[0]} site {site[1]} does not exist in CHeKT, or these credentials may not use "
                f"it: {error}",
                status=error.status,
            ) from None
        except ChektError as error:  # a device's own failure is recorded, not raised: this is the site's
            raise DeviceOperationError(
                f"writing the devices of dealer {site[0]} site {site[1]} failed: {error}", status=error.status
            ) from None

    @staticmethod
    def _outputs(props: Mapping[str, Any], result: SiteResult) -> dict[str, Any]:
        return {
            DEALER_ID: int(props[DEALER_ID]),
            SITE_ID: int(props[SITE_ID]),
            "prune": bool(props.get("prune")),
            "devices": encoded(result.devices),
            "undeclared": result.undeclared,
        }

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete every managed device of the site in bulk (a device already gone counts as deleted).

        Listed first: a managed device is found by its recorded device_id or by its external id (it
        may have been replaced by a targeted run since the record last saw it)."""
        site = site_key(props)
        managed = applied_rows(props)
        ids = {row[DEVICE_ID] for row in managed.values() if isinstance(row.get(DEVICE_ID), int)}
        writing = self.runtime.site(site)
        with self.runtime.workers.busy(), writing.exclusive():
            try:
                writing.snapshot.ensure(READ_MAX_AGE_SECONDS, as_listed=True)
            except ChektNotFound:
                return  # the site is gone, and its devices with it
            now = self.runtime.clock()
            writes = [
                new_delete(int(device[DEVICE_ID]), str(device.get(EXTERNAL_ID)), now)
                for device in writing.snapshot.devices()
                if device.get(DEVICE_ID) in ids or str(device.get(EXTERNAL_ID)) in managed
            ]
            writes = run_to_completion(
                writing.runner, writes, no_holders, clock=self.runtime.clock, sleep=self.runtime.sleep
            )
        failed = [w for w in writes if w.state is not State.DONE]
        if failed:
            reasons = "; ".join(str(w.error) for w in failed[:5])
            more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
            raise DeviceOperationError(
                f"deleting the devices of dealer {site[0]} site {site[1]} failed: {reasons}{more}"
            )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The managed devices as CHeKT holds them now, and the devices no file declares."""
        site = site_key(props)
        snapshot = self.runtime.snapshot(site)
        try:
            snapshot.ensure(READ_MAX_AGE_SECONDS, as_listed=True)
        except ChektNotFound:
            return ReadResult(None, {})  # the site is gone, and its devices with it
        managed = set(applied_rows(props))
        devices: dict[str, Row] = {}
        undeclared: list[Row] = []
        for device in sorted(snapshot.devices(), key=lambda d: int(d.get(DEVICE_ID) or 0)):
            external_id = str(device.get(EXTERNAL_ID))
            if external_id in managed and external_id not in devices:
                devices[external_id] = {**row_of(device), DEVICE_ID: device.get(DEVICE_ID)}
            else:
                undeclared.append(undeclared_row(device))
        outputs = {
            **{key: props.get(key) for key in (DEALER_ID, SITE_ID, "prune")},
            "devices": encoded(devices),
            "undeclared": undeclared,
        }
        return ReadResult(id_, outputs)
