"""Which device fields exist and what each one is for.

The field *sets* are read from ``schemas/``: a field added there reaches the client, the provider
(inputs, outputs, diff), the local server, export, the preview summary and ``list`` through them,
with no other edit than regenerating ``resources/device_types.py`` (``make generate``). Only the
*roles* that no schema keyword can state are written here: which field is the API's key, which one
finds a device to adopt, which ones the server sets. This is the one hand-written module of the
package that names device fields (tests/contract/test_device_fields.py holds the others to it).

No Pulumi import: the CLI and the local server read it too.
"""

from __future__ import annotations

from pulumi_chekt.contract.schemas import schema

# --- Roles: what a schema cannot say about a field ----------------------------------------------

DEVICE_ID = "device_id"
"""The API's key of a device: assigned by CHeKT, named by every update and delete item."""
DEALER_ID = "dealer_id"
SITE_ID = "site_id"
"""The dealer and site a device belongs to: the request path, not a field of an API item."""
EXTERNAL_ID = "external_device_id"
"""Your system's id: unique in a site, and how an existing device is found again and adopted."""
DEVICE_TYPE = "device_type"
"""What the device is; a live device of another type cannot be adopted."""
ZONE = "zone_number"
ADDITIONAL_ZONES = "additional_zone_numbers"
"""Held by the API as one comma string; inputs may also give a list (``normalize`` joins it)."""
NAME = "name"
PARTNER = "registered_by_partner"
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"
"""Moves on every update: the one API-only field an in-place update changes."""

UNIQUE_IN_SITE = (EXTERNAL_ID, ZONE)
"""No two devices of a site may share a value of these (a rule across items: no schema keyword)."""
SET_BY_SERVER = (PARTNER, CREATED_AT, UPDATED_AT)
"""Fields the API fills in itself on create (the caller's partner, the time)."""
ZONE_DEFINITION = "zone_number"
"""The ``common.schema.json`` definition (not the field) of one zone: text that is not blank."""
ZONES_DEFINITION = "additional_zone_numbers"
"""The definition of the API's comma string of zones (each zone not blank)."""
ZONE_LIST_DEFINITION = "additional_zone_numbers_input"
"""The definition of additional zones as inputs give them: that comma string, or a list of zones."""
ZONE_DEFINITIONS = (ZONE_DEFINITION, ZONES_DEFINITION, ZONE_LIST_DEFINITION)


# --- Sets: read from the schemas -----------------------------------------------------------------


def _properties(name: str) -> tuple[str, ...]:
    return tuple(schema(name)["properties"])


INPUT_FIELDS = _properties("device-inputs")
"""The Device resource's inputs (schemas/device-inputs.schema.json), in the schema's order."""
CREATE_FIELDS = _properties("device-create")
"""The fields of a bulk-create item."""
ID_FIELDS = tuple(key for key in INPUT_FIELDS if key not in CREATE_FIELDS)
"""Inputs that are not item fields: the dealer and site of the request path."""
UPDATABLE_FIELDS = tuple(
    key
    for key in INPUT_FIELDS
    if key in schema("device-update")["properties"] and key not in schema("device-update")["required"]
)
"""What the update endpoint can change (schemas/device-update.schema.json, less the device's key)."""
REPLACE_FIELDS = tuple(key for key in INPUT_FIELDS if key not in UPDATABLE_FIELDS)
"""The update endpoint cannot change these, so changing one replaces the device (delete first)."""
OPTIONAL_TEXT_FIELDS = tuple(key for key in INPUT_FIELDS if key not in schema("device-inputs")["required"])
"""Optional inputs: empty and absent both mean "not set"."""
DEVICE_FIELDS = _properties("device")
"""A device as the API returns it (schemas/device.schema.json), in the reference's order."""
API_ONLY_FIELDS = tuple(key for key in DEVICE_FIELDS if key not in INPUT_FIELDS)
"""Outputs the API sets and no input declares."""
OUTPUT_FIELDS = (*INPUT_FIELDS, *API_ONLY_FIELDS)
"""Every output of the Device resource."""
SITE_DEVICE_FIELDS = tuple(schema("site")["$defs"]["device"]["properties"])
"""The fields a site file may give a device, in the schema's order."""
DEFAULTABLE_FIELDS = tuple(schema("site")["properties"]["defaults"]["properties"])
"""The fields a site file's ``defaults`` may set for every device."""
ZONE_FIELDS = tuple(
    key
    for key, rule in schema("site")["$defs"]["device"]["properties"].items()
    if str(rule.get("$ref", "")).rpartition("/")[2] in ZONE_DEFINITIONS
)
"""The site file fields that hold zones (written in quotes: a bare 001 is read as a number)."""
