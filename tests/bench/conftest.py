"""The benchmark tests drive the real Pulumi CLI, like the end-to-end tests."""

from tests.e2e.conftest import pulumi_bin

__all__ = ["pulumi_bin"]
