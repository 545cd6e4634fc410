"""The dynamic provider behind ``pulumi_chekt.Device``: check, diff, create, read, update, delete.

The class has no state of its own. The Pulumi SDK pickles it (dill) into every resource's state; as
a class of an installed module it pickles by reference, so state holds a few bytes that name it and
no session, lock, client or credential. Settings and the client are looked up at call time
(``settings``), the refresh cache is module-level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_chekt.api import (
    BulkItemResult,
    ChektClient,
    ChektError,
    ChektHTTPError,
    ChektNotFound,
    ChektTransportError,
    Device,
)
from pulumi_chekt.api.redaction import get_logger
from pulumi_chekt.api.retry import NOT_PROCESSED_STATUSES
from pulumi_chekt.resources import settings
from pulumi_chekt.resources.fields import (
    API_ONLY_FIELDS,
    ID_FIELDS,
    INPUT_FIELDS,
    OUTPUT_FIELDS,
    REPLACE_FIELDS,
    UPDATABLE_FIELDS,
    api_item,
    comparable,
    input_problems,
    normalize,
)
from pulumi_chekt.resources.site_cache import SiteListCache

log = get_logger("pulumi_chekt.provider")  # redaction hook: a logger whose records are redacted

_site_lists = SiteListCache()


STABLE_ON_UPDATE = ("device_id", "registered_by_partner", "created_at")


class DeviceOperationError(ChektError):
    """A bulk call answered, but the item for this device failed; carries the API's status and message."""


def _may_have_been_processed(error: ChektError) -> bool:
    """Whether a failed create could still have created the device (so it must be looked up)."""
    if isinstance(error, ChektTransportError):
        return error.request_sent
    return (error.status or 0) >= 500 and error.status not in NOT_PROCESSED_STATUSES


def _site(props: Mapping[str, Any]) -> tuple[int, int]:
    return int(props["dealer_id"]), int(props["site_id"])


def _cache_key(client: ChektClient, dealer_id: int, site_id: int) -> tuple[str, int, int]:
    return (client.base_url, dealer_id, site_id)


def _item_error(action: str, external_id: str, item: BulkItemResult, trace_id: str) -> DeviceOperationError:
    return DeviceOperationError(
        f"{action} of device {external_id!r} failed: {item.error_message or 'no message'}",
        status=item.status_code,
        trace_id=trace_id,
        api_message=item.error_message,
    )


def outputs(inputs: Mapping[str, Any], device: Mapping[str, Any]) -> dict[str, Any]:
    """Every output field: the declared inputs overlaid with what the API holds for the device."""
    merged = {key: inputs.get(key) for key in OUTPUT_FIELDS}
    merged.update({key: device[key] for key in OUTPUT_FIELDS if key in device and key not in ID_FIELDS})
    return merged


def _differing(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Update payload fields (without device_id) that bring ``live`` to ``desired``; "" clears a field."""
    have, want = comparable(live), comparable(desired)
    return {key: want.get(key, "") for key in UPDATABLE_FIELDS if have.get(key) != want.get(key)}


class DeviceProvider(ResourceProvider):
    """Maps the Device resource's lifecycle onto the CHeKT bulk endpoints, one device per call."""

    def configure(self, req: ConfigureRequest) -> None:
        settings.configure(req.config._props)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        normalized = normalize(news)
        inputs = {key: value for key, value in normalized.items() if key in INPUT_FIELDS}
        failures = [
            CheckFailure(key, f"unknown property {key!r}") for key in sorted(set(normalized) - set(inputs))
        ]
        failures += [
            CheckFailure(p.field or "inputs", f"{p.field}: {p.message}") for p in input_problems(inputs)
        ]
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        before, after = comparable(olds), comparable(news)
        changed = sorted(str(key) for key in DeepDiff(before, after).affected_root_keys)
        replaces = [key for key in changed if key in REPLACE_FIELDS]
        # Outputs an in-place update cannot change (updated_at and the updatable fields can).
        stables = (
            [] if replaces else [*STABLE_ON_UPDATE, *[key for key in REPLACE_FIELDS if key not in changed]]
        )
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=stables,
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = normalize(props)
        client = settings.client()
        dealer_id, site_id = _site(inputs)
        _site_lists.invalidate(_cache_key(client, dealer_id, site_id))
        existing = self._find_by_external_id(client, inputs)
        if existing is not None:
            return self._adopt(client, inputs, existing)
        try:
            result = client.create_devices(dealer_id, site_id, [api_item(inputs)])
        except (ChektTransportError, ChektHTTPError) as error:
            if not _may_have_been_processed(error):
                raise
            # The server may have created it before the failure (500, lost response, read timeout):
            # look it up rather than create again, so a retry never makes a duplicate.
            try:
                found = self._find_by_external_id(client, inputs)
            except ChektError:
                raise error from None
            if found is None:
                raise
            log.warning(
                "create of %s failed (%s) but the device exists; adopting it",
                inputs["external_device_id"],
                error,
            )
            return self._adopt(client, inputs, found)
        item = result.items[0]
        if not item.is_successful or item.device is None:
            raise _item_error("create", inputs["external_device_id"], item, result.trace_id)
        return CreateResult(str(item.device["device_id"]), outputs(inputs, item.device))

    def _find_by_external_id(self, client: ChektClient, inputs: Mapping[str, Any]) -> Device | None:
        dealer_id, site_id = _site(inputs)
        for device in client.list_devices(dealer_id, site_id):
            if device.get("external_device_id") == inputs["external_device_id"]:
                return device
        return None

    def _adopt(self, client: ChektClient, inputs: dict[str, Any], live: Device) -> CreateResult:
        """Take an existing device with the same external_device_id under management, then converge it."""
        if live.get("device_type") != inputs["device_type"]:
            raise DeviceOperationError(
                f"device {inputs['external_device_id']!r} already exists at dealer {inputs['dealer_id']} "
                f"site {inputs['site_id']} as a {live.get('device_type')}, not a {inputs['device_type']}; "
                "delete it in CHeKT or declare its real device_type",
                api_message="",
            )
        log.info(
            "adopting existing device %s (device_id %s)", inputs["external_device_id"], live["device_id"]
        )
        device = self._converge(client, inputs, live)
        return CreateResult(str(device["device_id"]), outputs(inputs, device))

    def _converge(self, client: ChektClient, desired: Mapping[str, Any], live: Device) -> Device:
        changes = _differing(live, desired)
        if not changes:
            return live
        dealer_id, site_id = _site(desired)
        result = client.update_devices(dealer_id, site_id, [{"device_id": live["device_id"], **changes}])
        item = result.items[0]
        if not item.is_successful or item.device is None:
            raise _item_error("update", str(desired["external_device_id"]), item, result.trace_id)
        device = {**live, **item.device}
        if any(key not in item.device for key in ("device_id", *UPDATABLE_FIELDS, *API_ONLY_FIELDS)):
            # The reference shows update results with a partial device; fetch the whole one.
            device = client.get_device(dealer_id, site_id, int(live["device_id"]))
        return device

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = normalize(news)
        client = settings.client()
        dealer_id, site_id = _site(inputs)
        _site_lists.invalidate(_cache_key(client, dealer_id, site_id))
        live = {**olds, "device_id": int(id_)}
        device = self._converge(client, inputs, live)
        return UpdateResult(outputs(inputs, device))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = settings.client()
        dealer_id, site_id = _site(props)
        _site_lists.invalidate(_cache_key(client, dealer_id, site_id))
        try:
            result = client.delete_devices(dealer_id, site_id, [int(id_)])
        except ChektNotFound:
            return  # the site (and so the device) is gone already
        item = result.items[0]
        if not item.is_successful and item.status_code != 404:
            raise _item_error("delete", str(props.get("external_device_id", id_)), item, result.trace_id)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = settings.client()
        dealer_id, site_id = _site(props)
        key = _cache_key(client, dealer_id, site_id)
        try:
            devices = _site_lists.devices(key, lambda: client.list_devices(dealer_id, site_id))
        except ChektNotFound:
            return ReadResult(None, {})
        for device in devices:
            if str(device.get("device_id")) == str(id_):
                inputs = {key: props.get(key) for key in INPUT_FIELDS}
                return ReadResult(id_, outputs(inputs, device))
        return ReadResult(None, {})  # deleted out of band: the engine drops it from state
