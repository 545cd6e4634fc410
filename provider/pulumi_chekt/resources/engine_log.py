"""Warnings attached to a resource in `pulumi up` output, sent from inside the provider process.

The SDK's dynamic provider server gives ``create`` only the resource's inputs, and its process has
no engine connection of its own; the engine, though, starts every provider plugin with its own gRPC
address as the last argument, and ``Create`` receives the resource's URN in its request. So the URN
is read from the server's calling frame (the ``request`` argument of its ``Create``) — reading only,
nothing of the SDK is changed — and the warning goes to the engine's ``Log`` endpoint, which shows
it under that resource. When either is unavailable (unit tests, a future SDK), the warning goes to
the provider's log instead, and nothing fails.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from typing import Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from pulumi_chekt.api.redaction import get_logger

log = get_logger("pulumi_chekt.provider")  # redacted records

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d+$")


def engine_address(argv: list[str] | None = None) -> str | None:
    """The engine's gRPC address the plugin was started with (a loopback ``host:port``), if any."""
    for argument in reversed(sys.argv[1:] if argv is None else argv):
        if _ADDRESS.match(argument):
            return argument
    return None


def calling_urn() -> str | None:
    """The URN of the resource whose gRPC call (Create, Update, ...) is running on this thread."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            request = frame.f_locals.get("request")
            urn = getattr(request, "urn", None)
            if isinstance(urn, str) and urn.startswith("urn:pulumi:"):
                return urn
            frame = frame.f_back
        return None
    finally:
        del frame


@functools.cache
def _engine() -> Any:
    """The engine's Log service (one channel per process), or None outside a provider plugin."""
    address = engine_address()
    return engine_pb2_grpc.EngineStub(grpc.insecure_channel(address)) if address else None


def warn(message: str, urn: str | None) -> None:
    """Show ``message`` as a warning of the resource ``urn`` (or log it when that is not possible)."""
    try:
        engine = _engine() if urn is not None else None
        if engine is not None and urn is not None:
            request = engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn)
            engine.Log(request, timeout=10)
            log.info("%s", message)
            return
    except Exception as error:  # a warning must never fail the write it describes
        log.debug("could not send a warning to the engine: %r", error)
    log.warning("%s", message)
