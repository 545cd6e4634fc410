"""Provider settings: stack config (``chekt:*``) first, environment variables as the fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_chekt.api.urls import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from pulumi_chekt.api import ChektClient

# config key (in the chekt namespace) -> environment variable
CONFIG_KEYS: dict[str, str] = {
    "baseUrl": "CHEKT_BASE_URL",
    "tokenUrl": "CHEKT_TOKEN_URL",
    "clientId": "CHEKT_CLIENT_ID",
    "clientSecret": "CHEKT_CLIENT_SECRET",
    "apiToken": "CHEKT_API_TOKEN",
    "caBundle": "CHEKT_CA_BUNDLE",
}
NAMESPACE = "chekt"
SECRET_KEYS = ("clientSecret", "apiToken")
"""Config keys that must be set with --secret (and stay secrets wherever they are passed on)."""


@dataclass(frozen=True)
class ProviderSettings:
    """Where the API is and how to authenticate; secrets are kept out of ``repr``."""

    base_url: str = DEFAULT_BASE_URL
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_token: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None

    @classmethod
    def resolve(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> ProviderSettings:
        """Each value from ``chekt:<key>`` in config, else its environment variable, else the default."""
        values: dict[str, str | None] = {}
        for key, variable in CONFIG_KEYS.items():
            value = config.get(f"{NAMESPACE}:{key}")
            if value in (None, ""):
                value = env.get(variable)
            values[key] = str(value).strip() if value not in (None, "") else None
        return cls(
            base_url=values["baseUrl"] or DEFAULT_BASE_URL,
            token_url=values["tokenUrl"],
            client_id=values["clientId"],
            client_secret=values["clientSecret"],
            api_token=values["apiToken"],
            ca_bundle=values["caBundle"],
        )

    @classmethod
    def from_config(cls, get: Callable[[str], Any], env: Mapping[str, str]) -> ProviderSettings:
        """From a config lookup such as the dynamic provider's ``ConfigureRequest.config.get``."""
        keys = [f"{NAMESPACE}:{key}" for key in CONFIG_KEYS]
        return cls.resolve({key: get(key) for key in keys}, env)

    def make_client(self) -> ChektClient:
        """A new API client for these settings (ChektConfigError when credentials are missing)."""
        from pulumi_chekt.api.client import ChektClient  # noqa: PLC0415 (requests and authlib, on use)

        return ChektClient.from_credentials(
            base_url=self.base_url,
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            api_token=self.api_token,
            ca_bundle=self.ca_bundle,
        )
