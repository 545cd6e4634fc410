"""Configuration of the local CHeKT API server: who may call it, what it serves at start, its limits.

Built in Python from the dataclasses below or read from a YAML/JSON file with :func:`load_config`.
Secrets (client secrets, API keys) are kept out of ``repr`` so that a logged config never leaks one.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from joserfc.jwk import ECKey, RSAKey

from pulumi_chekt.contract import schema
from pulumi_chekt.localserver.faults import FaultSettings

#: Partners a client or device may belong to, read from the contract (not restated here).
PARTNERS: tuple[str, ...] = tuple(schema("common")["$defs"]["registered_by_partner"]["enum"])

DEFAULT_TOKEN_LIFETIME = 3600
DEFAULT_MAX_BODY_BYTES = 1_048_576
DEFAULT_REQUEST_TIMEOUT = 5.0
MAX_REQUEST_TIMEOUT = 3600.0


class ConfigError(ValueError):
    """The configuration is unusable; the message says which entry and why."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine; the server refuses to listen anywhere else."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _dealer_list(value: Any, where: str) -> tuple[int, ...] | None:
    """``None``/``"*"`` mean every dealer; otherwise a list of positive integers."""
    if value is None or value == "*":
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ConfigError(f'{where}: dealers must be a list of dealer ids or "*"')
    return tuple(_positive_int(item, f"{where}: dealer id") for item in value)


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a positive integer, got {value!r}")
    return value


def _non_negative_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where} must be a non-negative integer, got {value!r}")
    return value


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_REQUEST_TIMEOUT:
        raise ConfigError(
            f"{where} must be a number of seconds above 0 and at most {MAX_REQUEST_TIMEOUT:g}, got {value!r}"
        )
    return float(value)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _partner(value: Any, where: str) -> str:
    if value not in PARTNERS:
        raise ConfigError(f"{where}: partner must be one of {', '.join(PARTNERS)}, got {value!r}")
    return str(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string")
    return value


MIN_RSA_BITS = 2048


def load_public_key(pem: str, where: str) -> tuple[str, RSAKey | ECKey]:
    """The signing algorithm and the key of a PEM public key: RSA (RS256, at least 2048 bits) or EC on
    P-256 (ES256). ConfigError naming ``where`` for anything else (a private key included)."""
    if "PRIVATE KEY-----" in pem:
        raise ConfigError(f"{where}: holds a private key; register the public key only")
    try:
        native = load_pem_public_key(pem.strip().encode("utf-8"))
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"{where}: not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    if isinstance(native, rsa.RSAPublicKey) and native.key_size >= MIN_RSA_BITS:
        return "RS256", RSAKey.import_key(pem.strip())
    if isinstance(native, ec.EllipticCurvePublicKey) and native.curve.name == "secp256r1":
        return "ES256", ECKey.import_key(pem.strip())
    raise ConfigError(f"{where}: must be an RSA key of at least {MIN_RSA_BITS} bits or an EC key on P-256")


@dataclass(frozen=True)
class ClientConfig:
    """An OAuth client (client credentials grant). ``dealers=None`` allows every dealer.

    It authenticates with its ``client_secret`` or, when it registered a ``public_key`` (PEM) instead,
    with assertions signed by the private half (RFC 7523 ``private_key_jwt``): one or the other.
    """

    client_id: str
    client_secret: str | None = field(repr=False)
    partner: str
    dealers: Sequence[int] | None = None
    public_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _text(self.client_id, "client_id")
        where = f"client {self.client_id}"
        if (self.client_secret is None) == (self.public_key is None):
            raise ConfigError(f"{where}: set client_secret or public_key_file (one of them)")
        if self.client_secret is not None:
            _text(self.client_secret, f"{where}: client_secret")
        if self.public_key is not None:
            load_public_key(self.public_key, f"{where}: public key")
        _partner(self.partner, where)
        object.__setattr__(self, "dealers", _dealer_list(self.dealers, where))


@dataclass(frozen=True)
class ApiKeyConfig:
    """A static bearer key, accepted like an access token. ``dealers=None`` allows every dealer."""

    key: str = field(repr=False)
    partner: str
    dealers: Sequence[int] | None = None

    def __post_init__(self) -> None:
        _text(self.key, "api key")
        _partner(self.partner, "api key")
        object.__setattr__(self, "dealers", _dealer_list(self.dealers, "api key"))


@dataclass
class ServerConfig:
    """Everything the server needs at start.

    ``dealers`` maps dealer id to the site ids created at start (and again on ``/_admin/reset``).
    ``faults`` is a fault configuration as accepted by ``PUT /_admin/faults`` (see ``faults.py``).
    ``request_timeout`` is how long, in seconds of waiting for the client, a connection may take to
    deliver its whole request (headers and body); a connection that takes longer is closed unanswered.
    ``rate_limit_per_minute`` limits each client (or API key) to that many requests a minute, token
    requests included, with buckets of ``rate_limit_burst`` requests (default: two seconds' worth);
    ``None`` is no limit (see ``ratelimit.py``).
    ``unique_external_ids`` / ``unique_zones`` make a duplicate ``external_device_id`` / ``zone_number``
    within a site a 409. The reference never says the real API enforces either, so a fault campaign turns
    them off: a client that creates a device twice then leaves two devices behind instead of a 409.
    """

    clients: Sequence[ClientConfig] = field(default_factory=list)
    api_keys: Sequence[ApiKeyConfig] = field(default_factory=list)
    dealers: Mapping[int, Sequence[int]] = field(default_factory=dict)
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    db_path: str | os.PathLike[str] | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    faults: Mapping[str, Any] | None = None
    host: str = "127.0.0.1"
    port: int = 0
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    unique_external_ids: bool = True
    unique_zones: bool = True
    rate_limit_per_minute: int | None = None
    rate_limit_burst: int | None = None

    def __post_init__(self) -> None:
        if not is_loopback(self.host):
            raise ConfigError(
                f"host {self.host!r} is not a loopback address; the server only listens locally"
            )
        if _non_negative_int(self.port, "port") > 65535:
            raise ConfigError(f"port must be at most 65535, got {self.port}")
        _non_negative_int(self.token_lifetime, "token_lifetime")
        _positive_int(self.max_body_bytes, "max_body_bytes")
        self.request_timeout = _seconds(self.request_timeout, "request_timeout")
        _flag(self.unique_external_ids, "unique_external_ids")
        _flag(self.unique_zones, "unique_zones")
        if self.rate_limit_per_minute is not None:
            _positive_int(self.rate_limit_per_minute, "rate_limit_per_minute")
        if self.rate_limit_burst is not None:
            _positive_int(self.rate_limit_burst, "rate_limit_burst")
            if self.rate_limit_per_minute is None:
                raise ConfigError("rate_limit_burst needs rate_limit_per_minute")
        ids = [client.client_id for client in self.clients]
        duplicates = sorted({cid for cid in ids if ids.count(cid) > 1})
        if duplicates:
            raise ConfigError(f"duplicate client_id: {', '.join(duplicates)}")
        self.dealers = {
            _positive_int(dealer, "dealer id"): [
                _positive_int(site, f"dealer {dealer}: site id") for site in sites
            ]
            for dealer, sites in self.dealers.items()
        }
        if self.faults is not None:
            try:
                FaultSettings.from_dict(self.faults)
            except ValueError as error:
                raise ConfigError(f"faults: {error}") from error

    @classmethod
    def demo(cls) -> ServerConfig:
        """The configuration the CLI uses without ``--config``: credentials for trying the API by hand."""
        return cls(
            clients=[ClientConfig(client_id="demo-client", client_secret="demo-secret", partner="adc")],  # noqa: S106
            api_keys=[ApiKeyConfig(key="demo-api-key", partner="chekt")],
            dealers={2: [3, 4]},
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base_dir: Path | None = None) -> ServerConfig:
        """Build from the config-file structure (keys: clients, api_keys, dealers, token_lifetime, ...);
        relative file names (``public_key_file``) are read from ``base_dir`` (the config file's folder)."""
        if not isinstance(data, Mapping):
            raise ConfigError("the configuration must be a mapping at the top level")
        known = {
            "clients", "api_keys", "dealers", "token_lifetime", "max_body_bytes", "faults", "db_path",
            "request_timeout", "unique_external_ids", "unique_zones", "rate_limit_per_minute",
            "rate_limit_burst",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(map(str, unknown))}")
        folder = base_dir or Path.cwd()
        clients = [_client(entry, n, folder) for n, entry in enumerate(_list(data.get("clients"), "clients"))]
        api_keys = [_api_key(entry, n) for n, entry in enumerate(_list(data.get("api_keys"), "api_keys"))]
        dealers: dict[int, list[int]] = {}
        for n, entry in enumerate(_list(data.get("dealers"), "dealers")):
            if not isinstance(entry, Mapping) or "dealer_id" not in entry:
                raise ConfigError(f"dealers[{n}] must be a mapping with dealer_id and sites")
            dealer_id = _positive_int(entry["dealer_id"], f"dealers[{n}].dealer_id")
            sites = _list(entry.get("sites"), f"dealers[{n}].sites")
            dealers.setdefault(dealer_id, []).extend(
                _positive_int(site, f"dealers[{n}].sites[]") for site in sites
            )
        faults = data.get("faults")
        if faults is not None and not isinstance(faults, Mapping):
            raise ConfigError("faults must be a mapping")
        db_path = data.get("db_path")
        if db_path is not None and not isinstance(db_path, str):
            raise ConfigError("db_path must be a string")
        return cls(
            clients=clients,
            api_keys=api_keys,
            dealers=dealers,
            token_lifetime=data.get("token_lifetime", DEFAULT_TOKEN_LIFETIME),
            max_body_bytes=data.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            faults=faults,
            db_path=db_path,
            request_timeout=data.get("request_timeout", DEFAULT_REQUEST_TIMEOUT),
            unique_external_ids=data.get("unique_external_ids", True),
            unique_zones=data.get("unique_zones", True),
            rate_limit_per_minute=data.get("rate_limit_per_minute"),
            rate_limit_burst=data.get("rate_limit_burst"),
        )


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    return value


def _client(entry: Any, n: int, folder: Path) -> ClientConfig:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"clients[{n}] must be a mapping")
    unknown = sorted(set(entry) - {"client_id", "client_secret", "public_key_file", "partner", "dealers"})
    if unknown:
        raise ConfigError(f"clients[{n}]: unknown keys: {', '.join(map(str, unknown))}")
    if ("client_secret" in entry) == ("public_key_file" in entry):
        raise ConfigError(f"clients[{n}]: set client_secret or public_key_file (one of them)")
    public_key = None
    if "public_key_file" in entry:
        public_key = _public_key_file(entry["public_key_file"], f"clients[{n}].public_key_file", folder)
    return ClientConfig(
        client_id=_text(entry.get("client_id"), f"clients[{n}].client_id"),
        client_secret=(
            _text(entry["client_secret"], f"clients[{n}].client_secret") if "client_secret" in entry else None
        ),
        partner=_partner(entry.get("partner"), f"clients[{n}]"),
        dealers=entry.get("dealers"),
        public_key=public_key,
    )


def _public_key_file(value: Any, where: str, folder: Path) -> str:
    """The PEM text of a client's public key file (relative to the config file's folder), checked."""
    path = folder / _text(value, where)
    try:
        pem = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a text file"
        raise ConfigError(f"{where}: cannot read {path} ({reason})") from None
    load_public_key(pem, f"{where}: {path}")
    return pem


def _api_key(entry: Any, n: int) -> ApiKeyConfig:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"api_keys[{n}] must be a mapping")
    unknown = sorted(set(entry) - {"key", "partner", "dealers"})
    if unknown:
        raise ConfigError(f"api_keys[{n}]: unknown keys: {', '.join(map(str, unknown))}")
    return ApiKeyConfig(
        key=_text(entry.get("key"), f"api_keys[{n}].key"),
        partner=_partner(entry.get("partner"), f"api_keys[{n}]"),
        dealers=entry.get("dealers"),
    )


def load_config(path: str | os.PathLike[str]) -> ServerConfig:
    """Read a ``.yaml``/``.yml`` or ``.json`` config file; errors name the file, never a secret."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{file}: cannot read ({error.strerror})") from error
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ConfigError(
            f"{file}: not valid {'JSON' if file.suffix.lower() == '.json' else 'YAML'}"
        ) from error
    try:
        return ServerConfig.from_mapping(data if data is not None else {}, file.parent)
    except ConfigError as error:
        raise ConfigError(f"{file}: {error}") from error
