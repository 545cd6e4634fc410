"""Bulk create, update and delete: one result per item, in order, each item succeeding or failing alone.

Every item is checked on its own against the contract schema (400 naming the field), then against
forced failures from fault injection, then against the store (404 unknown device, 409 duplicate
zone or external id). The whole batch runs under one store transaction, so a concurrent batch
cannot interleave, and earlier items of the batch count for the uniqueness of later ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_chekt.contract import problems
from pulumi_chekt.contract.device_fields import DEVICE_ID, EXTERNAL_ID
from pulumi_chekt.localserver.faults import FaultInjector, ItemFailure
from pulumi_chekt.localserver.store import MAX_ID, Conflict, NotFound, Store


@dataclass
class BulkOutcome:
    """The bulk result envelope of ``schemas/bulk-result.schema.json``."""

    results: list[dict[str, Any]] = field(default_factory=list)

    def succeed(self, req: Mapping[str, Any], device: dict[str, Any]) -> None:
        self.results.append({"is_successful": True, "req": req, "res": device})

    def fail(self, req: Mapping[str, Any], status: int, message: str) -> None:
        self.results.append(
            {"is_successful": False, "status_code": status, "error_message": message, "req": req}
        )

    def as_json(self) -> dict[str, Any]:
        succeeded = sum(1 for result in self.results if result["is_successful"])
        return {
            "success_count": succeeded,
            "failure_count": len(self.results) - succeeded,
            "results": self.results,
        }


def describe(found: Sequence[Any]) -> str:
    """Schema problems as one line that names each field."""
    return "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in found)


def _apply(
    outcome: BulkOutcome,
    req: Mapping[str, Any],
    forced: ItemFailure | None,
    action: Callable[[], dict[str, Any]],
) -> None:
    """Record the forced failure, or run the store action and record its device or its error."""
    if forced is not None:
        outcome.fail(req, forced.status_code, forced.error_message)
        return
    try:
        outcome.succeed(req, action())
    except NotFound as error:
        outcome.fail(req, 404, str(error))
    except Conflict as error:
        outcome.fail(req, 409, str(error))


def _invalid(outcome: BulkOutcome, schema_name: str, item: Mapping[str, Any]) -> bool:
    """Fail the item with 400 if it breaks its schema; True when it did."""
    found = problems(schema_name, item)
    if found:
        outcome.fail(item, 400, f"invalid item: {describe(found)}")
    return bool(found)


def create_devices(
    store: Store,
    faults: FaultInjector,
    dealer_id: int,
    site_id: int,
    items: Sequence[Mapping[str, Any]],
    *,
    partner: str,
) -> BulkOutcome:
    """Create each item as a device registered by ``partner``."""
    outcome = BulkOutcome()
    with store.batch():
        for item in items:
            if not _invalid(outcome, "device-create", item):
                forced = faults.item_failure(item[EXTERNAL_ID], None)
                _apply(outcome, item, forced, partial(store.create_device, dealer_id, site_id, item, partner))
    return outcome


def _unknown_id(outcome: BulkOutcome, req: Mapping[str, Any], raw: Any) -> bool:
    """Fail an id too large to exist (e.g. 1e300) with 404 without expanding it into a huge number."""
    if int(raw) <= MAX_ID:
        return False
    outcome.fail(req, 404, f"device {json.dumps(raw)} does not exist at this site")
    return True


def _forced(
    faults: FaultInjector, store: Store, dealer_id: int, site_id: int, device_id: int
) -> ItemFailure | None:
    """The forced failure for an item naming ``device_id``, matched by it or by the device's external id."""
    device = store.get_device(dealer_id, site_id, device_id)
    return faults.item_failure(None if device is None else str(device[EXTERNAL_ID]), device_id)


def update_devices(
    store: Store, faults: FaultInjector, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]
) -> BulkOutcome:
    """Apply each item's fields to the device it names."""
    outcome = BulkOutcome()
    with store.batch():
        for item in items:
            if not _invalid(outcome, "device-update", item) and not _unknown_id(
                outcome, item, item[DEVICE_ID]
            ):
                device_id = int(item[DEVICE_ID])  # the schema allows an integral float such as 3.0
                forced = _forced(faults, store, dealer_id, site_id, device_id)
                _apply(
                    outcome, item, forced, partial(store.update_device, dealer_id, site_id, device_id, item)
                )
    return outcome


def delete_devices(
    store: Store, faults: FaultInjector, dealer_id: int, site_id: int, device_ids: Sequence[int]
) -> BulkOutcome:
    """Delete each listed device; the result's ``req`` is ``{"device_id": id}`` (ids already schema-checked)."""
    outcome = BulkOutcome()
    with store.batch():
        for raw_id in device_ids:
            if _unknown_id(outcome, {DEVICE_ID: raw_id}, raw_id):
                continue
            device_id = int(raw_id)
            forced = _forced(faults, store, dealer_id, site_id, device_id)
            _apply(
                outcome,
                {DEVICE_ID: raw_id},
                forced,
                partial(store.delete_device, dealer_id, site_id, device_id),
            )
    return outcome
