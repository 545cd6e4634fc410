"""Command line: ``chekt-local-api`` or ``python -m pulumi_chekt.localserver``.

Prints exactly one line to stdout once it listens (``CHeKT local API listening on <url>``) so that
scripts can wait for it; the request log goes to stderr. Stops cleanly on SIGTERM or SIGINT. The server
needs werkzeug, an optional extra of the package: without it this prints how to install it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from pulumi_chekt.localserver.config import ConfigError, ServerConfig, is_loopback, load_config
from pulumi_chekt.localserver.fault_settings import command_line_flags

if TYPE_CHECKING:
    from pulumi_chekt.localserver.server import LocalServer

INSTALL_HINT = "pip install 'pulumi-chekt[localserver]'"
_SERVER_FLAGS = (
    "token_lifetime", "max_body_bytes", "request_timeout", "unique_external_ids", "unique_zones",
    "rate_limit_per_minute", "rate_limit_burst",
)  # fmt: skip


def _version() -> str:
    try:
        return importlib.metadata.version("pulumi-chekt")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _flag_type(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """``convert`` for argparse: its ValueError becomes a usage error (exit 2) with its own message."""

    def typed(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    typed.__name__ = convert.__name__
    return typed


def add_fault_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--fault-<name>`` option per fault setting that has one (``faults.FaultSettings``)."""
    for name, setting in command_line_flags().items():
        parser.add_argument(
            f"--fault-{name.replace('_', '-')}",
            dest=f"fault_{name}",
            type=_flag_type(setting.flag_type),
            metavar=setting.metavar,
            help=setting.flag,
        )


def fault_flags_given(args: argparse.Namespace) -> dict[str, Any]:
    """The fault settings given on the command line, by setting name."""
    given = {name: getattr(args, f"fault_{name}") for name in command_line_flags()}
    return {name: value for name, value in given.items() if value is not None}


def _load_server() -> type[LocalServer]:
    """The server class, or exit with an install hint when its optional dependency is missing."""
    try:
        from pulumi_chekt.localserver.server import LocalServer  # noqa: PLC0415 (werkzeug is optional)
    except ImportError as error:
        if (error.name or "").partition(".")[0] != "werkzeug":
            raise
        print(f"chekt-local-api needs werkzeug, which is not installed: {INSTALL_HINT}", file=sys.stderr)
        sys.exit(1)
    return LocalServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chekt-local-api",
        description="Serve a local CHeKT-compatible Partner Devices API on a loopback address.",
        epilog="Without --config: client demo-client/demo-secret (partner adc), API key demo-api-key "
        "(partner chekt), dealer 2 with sites 3 and 4. Admin endpoints under /_admin/ need no credentials.",
    )
    parser.add_argument("--version", action="version", version=f"chekt-local-api {_version()}")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (default 8080)")
    parser.add_argument(
        "--db", metavar="PATH", help="SQLite file to keep data across restarts (default: memory)"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="YAML or JSON config file (clients, api_keys, dealers, ...)"
    )
    parser.add_argument("--token-lifetime", type=int, metavar="SECONDS", help="access token lifetime")
    parser.add_argument("--max-body-bytes", type=int, metavar="N", help="largest accepted request body")
    parser.add_argument(
        "--request-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection that has not sent its whole request within this time (default 5)",
    )
    parser.add_argument(
        "--unique-external-ids",
        action=argparse.BooleanOptionalAction,
        help="refuse (409) a second device with the same external_device_id in a site (default on)",
    )
    parser.add_argument(
        "--unique-zones",
        action=argparse.BooleanOptionalAction,
        help="refuse (409) a second device with the same zone_number in a site (default on)",
    )
    parser.add_argument(
        "--rate-limit-per-minute",
        type=int,
        metavar="N",
        help="answer 429 with Retry-After once a client (or API key) has sent N requests in a minute, "
        "token requests included (default: no limit)",
    )
    parser.add_argument(
        "--rate-limit-burst",
        type=int,
        metavar="B",
        help="requests a client may send at once before the per-minute rate applies (default 2*N/60, at least 2)",
    )
    add_fault_flags(parser)
    parser.add_argument(
        "--port-file", metavar="PATH", help="write the bound port to this file once listening"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """The config file (or the demo config), overridden by the command line options."""
    base = load_config(args.config) if args.config else ServerConfig.demo()
    faults: dict[str, Any] = dict(base.faults or {})
    faults.update(fault_flags_given(args))
    server: dict[str, Any] = {
        name: getattr(base, name) if getattr(args, name) is None else getattr(args, name)
        for name in _SERVER_FLAGS
    }
    return ServerConfig(
        clients=base.clients,
        api_keys=base.api_keys,
        dealers=base.dealers,
        db_path=args.db if args.db is not None else base.db_path,
        faults=faults or None,
        host=args.host,
        port=args.port,
        **server,
    )


def _write_port_file(path: str, port: int) -> None:
    """Write atomically so a reader polling for the file never sees it half-written."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="utf-8")
    temporary.replace(target)


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    server_class = _load_server()
    if not is_loopback(args.host):
        parser.error(f"--host {args.host!r} is not a loopback address; this server only listens locally")
    try:
        config = config_from_args(args)
    except ConfigError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server = server_class(config, poll_interval=0.2)
    try:
        server.start()
    except OSError as error:
        print(f"chekt-local-api: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
    try:
        if args.port_file:
            _write_port_file(args.port_file, server.port)
        print(f"CHeKT local API listening on {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
