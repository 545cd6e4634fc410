"""Provider settings: stack config (``chekt:*``) first, environment variables as the fallback."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_chekt.api.errors import ChektConfigError, ChektTokenError
from pulumi_chekt.api.urls import DEFAULT_BASE_URL

if TYPE_CHECKING:  # requests, authlib and cryptography load on use: the CLI's validate never needs them
    from pulumi_chekt.api.assertion_key import AssertionKey
    from pulumi_chekt.api.client import ChektClient

# config key (in the chekt namespace) -> environment variable
CONFIG_KEYS: dict[str, str] = {
    "baseUrl": "CHEKT_BASE_URL",
    "tokenUrl": "CHEKT_TOKEN_URL",
    "clientId": "CHEKT_CLIENT_ID",
    "clientSecret": "CHEKT_CLIENT_SECRET",
    "clientAssertionKey": "CHEKT_CLIENT_ASSERTION_KEY",
    "clientAssertionKeyId": "CHEKT_CLIENT_ASSERTION_KEY_ID",
    "apiToken": "CHEKT_API_TOKEN",
    "caBundle": "CHEKT_CA_BUNDLE",
    "maxRequestsPerMinute": "CHEKT_MAX_REQUESTS_PER_MINUTE",
}
NAMESPACE = "chekt"
SECRET_KEYS = ("clientSecret", "clientAssertionKey", "apiToken")
"""Config keys that must be set with --secret (and stay secrets wherever they are passed on)."""
KEY_FILE_VARIABLE = "CHEKT_CLIENT_ASSERTION_KEY_FILE"
"""The assertion key read from a file (environment only: a path in stack config would point at
a file on one machine); the alternative to CHEKT_CLIENT_ASSERTION_KEY, never together with it."""
ENVIRONMENT_VARIABLES = (*CONFIG_KEYS.values(), KEY_FILE_VARIABLE)


@dataclass(frozen=True)
class ProviderSettings:
    """Where the API is, how to authenticate and how fast to go; secrets are kept out of ``repr``.

    ``sources`` says where each value that is set was read (``chekt:clientSecret`` or
    ``CHEKT_CLIENT_SECRET``), so a refused combination is named as the user wrote it. Values are
    only checked by :meth:`make_client`: a preview that never calls the API never needs them.

    With ``check_credentials`` (the provider's settings, see :meth:`from_config`) ``make_client`` also
    gets the first access token, and a refusal is remembered and raised again, the same error, for
    every later call: a wrong key or secret is one configuration error of the provider, reported
    once in the same words for every resource (not once per device, each with its own trace id),
    and the token endpoint is asked once per process, not once per device.
    """

    base_url: str = DEFAULT_BASE_URL
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_assertion_key: str | None = field(default=None, repr=False)
    client_assertion_key_id: str | None = None
    client_assertion_key_file: str | None = None
    api_token: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    max_requests_per_minute: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    check_credentials: bool = field(default=False, compare=False)
    _refusal: list[ChektConfigError | ChektTokenError] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @classmethod
    def resolve(cls, config: Mapping[str, Any], env: Mapping[str, str]) -> ProviderSettings:
        """Each value from ``chekt:<key>`` in config, else its environment variable, else the default."""
        values: dict[str, str | None] = {}
        sources: dict[str, str] = {}
        for key, variable in CONFIG_KEYS.items():
            value, source = config.get(f"{NAMESPACE}:{key}"), f"{NAMESPACE}:{key}"
            if value in (None, ""):
                value, source = env.get(variable), variable
            values[key] = str(value).strip() if value not in (None, "") else None
            if values[key] is not None:
                sources[key] = source
        key_file = (env.get(KEY_FILE_VARIABLE) or "").strip() or None
        key_variable = CONFIG_KEYS["clientAssertionKey"]
        if key_file and (env.get(key_variable) or "").strip():
            sources[KEY_FILE_VARIABLE] = f"{key_variable} and {KEY_FILE_VARIABLE}"  # refused by make_client
        return cls(
            base_url=values["baseUrl"] or DEFAULT_BASE_URL,
            token_url=values["tokenUrl"],
            client_id=values["clientId"],
            client_secret=values["clientSecret"],
            client_assertion_key=values["clientAssertionKey"],
            client_assertion_key_id=values["clientAssertionKeyId"],
            client_assertion_key_file=key_file,
            api_token=values["apiToken"],
            ca_bundle=values["caBundle"],
            max_requests_per_minute=values["maxRequestsPerMinute"],
            sources=sources,
        )

    @classmethod
    def from_config(cls, get: Callable[[str], Any], env: Mapping[str, str]) -> ProviderSettings:
        """From a config lookup such as the dynamic provider's ``ConfigureRequest.config.get``; the
        credentials are checked when the client is made (see ``check_credentials``)."""
        keys = [f"{NAMESPACE}:{key}" for key in CONFIG_KEYS]
        resolved = cls.resolve({key: get(key) for key in keys}, env)
        return replace(resolved, check_credentials=True)

    @property
    def has_credentials(self) -> bool:
        """Whether some way to authenticate is set (whether it is a valid one, ``make_client`` says)."""
        key = self.client_assertion_key or self.client_assertion_key_file
        return bool((self.client_id and (self.client_secret or key)) or self.api_token)

    def _named(self, key: str) -> str:
        return self.sources.get(key, f"{NAMESPACE}:{key}")

    def assertion_key(self) -> AssertionKey | None:
        """The key that signs client assertions, read and checked; None when no key is set."""
        config_key = self.client_assertion_key
        if KEY_FILE_VARIABLE in self.sources:
            raise ChektConfigError(f"both {self.sources[KEY_FILE_VARIABLE]} are set: use one of them")
        if self.client_secret and (config_key or self.client_assertion_key_file):
            key_source = self._named("clientAssertionKey") if config_key else KEY_FILE_VARIABLE
            raise ChektConfigError(
                f"both a client secret ({self._named('clientSecret')}) and a client assertion key "
                f"({key_source}) are set: use one of them"
            )
        if config_key:
            pem, source = config_key, self._named("clientAssertionKey")
        elif self.client_assertion_key_file:
            pem, source = self._read_key_file(self.client_assertion_key_file)
        else:
            if self.client_assertion_key_id:
                raise ChektConfigError(
                    f"{self._named('clientAssertionKeyId')} is set but no client assertion key is "
                    f"(chekt:clientAssertionKey, {CONFIG_KEYS['clientAssertionKey']} or {KEY_FILE_VARIABLE})"
                )
            return None
        if not self.client_id:
            raise ChektConfigError(
                f"a client assertion key ({source}) needs the client id it was registered for "
                f"(chekt:clientId or {CONFIG_KEYS['clientId']})"
            )
        from pulumi_chekt.api.assertion_key import AssertionKey  # noqa: PLC0415 (cryptography, on use)

        return AssertionKey.from_pem(pem, key_id=self.client_assertion_key_id, source=source)

    @staticmethod
    def _read_key_file(path: str) -> tuple[str, str]:
        source = f"{KEY_FILE_VARIABLE} ({path})"
        try:
            return Path(path).expanduser().read_text(encoding="utf-8"), source
        except FileNotFoundError:
            raise ChektConfigError(f"{source}: no such file") from None
        except UnicodeDecodeError:
            raise ChektConfigError(f"{source}: not a PEM text file") from None
        except OSError as error:
            raise ChektConfigError(f"{source}: cannot read ({error.strerror})") from None

    def requests_per_minute(self) -> int | None:
        """``maxRequestsPerMinute`` as a positive whole number; None (no limit) when not set."""
        text = self.max_requests_per_minute
        if text is None:
            return None
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ChektConfigError(
                f"{self._named('maxRequestsPerMinute')} must be a positive whole number, got {text!r}"
            )
        return value

    def make_client(self) -> ChektClient:
        """A new API client for these settings (ChektConfigError when credentials are missing or clash;
        with ``check_credentials`` also ChektTokenError when the token endpoint refuses them)."""
        from pulumi_chekt.api.client import ChektClient  # noqa: PLC0415 (requests and authlib, on use)

        if self._refusal:
            raise self._refusal[0]
        try:
            client = ChektClient.from_credentials(
                base_url=self.base_url,
                token_url=self.token_url,
                client_id=self.client_id,
                client_secret=self.client_secret,
                client_assertion_key=self.assertion_key(),
                api_token=self.api_token,
                ca_bundle=self.ca_bundle,
                max_requests_per_minute=self.requests_per_minute(),
            )
            if self.check_credentials:
                client.authenticate()
        except (ChektConfigError, ChektTokenError) as error:
            if self.check_credentials:
                self._refusal.append(error)
            raise
        return client
