"""Where the API is and how to authenticate, for the subcommands that talk to it.

Secrets come only from the environment (CHEKT_CLIENT_ID with CHEKT_CLIENT_SECRET or a client
assertion key, CHEKT_CLIENT_ASSERTION_KEY or CHEKT_CLIENT_ASSERTION_KEY_FILE; or CHEKT_API_TOKEN),
never from flags: a flag is visible to every user of the host in ``ps``. The rules are the
provider's own (``ProviderSettings.resolve``), with the URL flags standing in for stack config.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pulumi_chekt.api import ChektConfigError
from pulumi_chekt.resources.settings import CONFIG_KEYS, ENVIRONMENT_VARIABLES, NAMESPACE, ProviderSettings

if TYPE_CHECKING:
    from pulumi_chekt.api import ChektClient

ENVIRONMENT_HELP = (
    "Credentials are read from the environment only: "
    + ", ".join(ENVIRONMENT_VARIABLES)
    + " (client id with a secret or an assertion key, or an API token)."
)


def positive_id(text: str) -> int:
    """argparse type for dealer and site ids: a positive integer, else a usage error (exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """--dealer and --site (required), and the non-secret connection flags."""
    parser.add_argument("--dealer", type=positive_id, required=True, metavar="ID", help="dealer id")
    parser.add_argument("--site", type=positive_id, required=True, metavar="ID", help="site id")
    add_connection_arguments(parser)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The non-secret connection flags (--base-url, --token-url)."""
    parser.add_argument(
        "--base-url", metavar="URL", help="API base URL (default: $CHEKT_BASE_URL or CHeKT's)"
    )
    parser.add_argument(
        "--token-url",
        metavar="URL",
        help="OAuth token URL (default: $CHEKT_TOKEN_URL or <base-url>/oauth/token)",
    )


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> ProviderSettings:
    """The provider's resolution, with --base-url/--token-url taking the place of stack config."""
    flags = {f"{NAMESPACE}:baseUrl": args.base_url, f"{NAMESPACE}:tokenUrl": args.token_url}
    return ProviderSettings.resolve({k: v for k, v in flags.items() if v}, env)


NO_CREDENTIALS = (
    "no CHeKT credentials: set CHEKT_CLIENT_ID and CHEKT_CLIENT_SECRET (or CHEKT_CLIENT_ASSERTION_KEY or "
    "CHEKT_CLIENT_ASSERTION_KEY_FILE), or CHEKT_API_TOKEN, in the environment (this command reads no "
    "Pulumi stack config)"
)


def _where(args: argparse.Namespace) -> dict[str, str]:
    """Each setting's name in the library's messages -> where this command read it."""
    return {
        "baseUrl": "--base-url" if args.base_url else CONFIG_KEYS["baseUrl"],
        "tokenUrl": "--token-url" if args.token_url else CONFIG_KEYS["tokenUrl"],
        "caBundle": CONFIG_KEYS["caBundle"],
    }


def client_from(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> ChektClient:
    """A client for these arguments and environment. ChektConfigError when credentials are missing
    or a setting is refused, worded with the flag or environment variable this command read."""
    settings = settings_from(args, os.environ if env is None else env)
    if not settings.has_credentials:
        raise ChektConfigError(NO_CREDENTIALS)
    try:
        return settings.make_client()
    except ChektConfigError as error:
        message = error.reason
        for key, name in _where(args).items():
            message = re.sub(rf"\b{key}\b", name, message)
        raise ChektConfigError(message) from None
