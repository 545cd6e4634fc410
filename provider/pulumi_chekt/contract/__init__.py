"""The API contract: the JSON Schemas in ``schemas/`` loaded once and shared by every component."""

from pulumi_chekt.contract.messages import SchemaProblem, problems, shown
from pulumi_chekt.contract.schemas import (
    bundled_schema,
    conforms,
    definition_of,
    schema,
    schema_dir,
    validator,
)

__all__ = [
    "SchemaProblem",
    "bundled_schema",
    "conforms",
    "definition_of",
    "problems",
    "schema",
    "schema_dir",
    "shown",
    "validator",
]
