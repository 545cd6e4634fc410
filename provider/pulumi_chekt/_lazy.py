"""Re-exports resolved on first use (PEP 562), so importing a package does not import its heavy parts.

The package root, ``api`` and ``resources`` re-export names whose modules load the Pulumi SDK or
requests and authlib; a command that never touches those names never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` for ``exports`` (name -> module that defines it);
    ``namespace`` is the module's ``globals()``, where a resolved value is cached."""
    module_name = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
