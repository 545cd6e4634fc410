"""The API contract: the JSON Schemas in ``schemas/`` loaded once and shared by every component."""

from pulumi_chekt.contract.schemas import SchemaProblem, problems, schema, schema_dir, validator

__all__ = ["SchemaProblem", "problems", "schema", "schema_dir", "validator"]
