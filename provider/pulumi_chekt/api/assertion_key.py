"""The private key behind signed client assertions (RFC 7523 ``private_key_jwt``).

A partner registers a public key with CHeKT and keeps the private one; the provider signs a short
JWT with it for every token request instead of sending a client secret. This module reads that key
(PEM, RSA or EC on P-256), picks the one algorithm that fits it (RS256 or ES256), and registers the
key's text with the redactor *before* anything can fail, so no message can ever quote it. Every
error names where the key came from and why it is refused, never the key itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc.jwk import ECKey, RSAKey

from pulumi_chekt.api.errors import ChektConfigError
from pulumi_chekt.api.redaction import register_private_key

MIN_RSA_BITS = 2048
"""RFC 7518 section 3.3: RS256 keys must be at least 2048 bits."""
EC_CURVE = "secp256r1"
"""ES256 is ECDSA on P-256 (RFC 7518 section 3.4); another curve would need another algorithm."""


@dataclass(frozen=True)
class AssertionKey:
    """A private key ready to sign client assertions; ``repr`` shows only the algorithm and key id."""

    algorithm: str
    key: RSAKey | ECKey = field(repr=False)
    key_id: str | None = None

    @classmethod
    def from_pem(
        cls, pem: str, *, key_id: str | None = None, source: str = "clientAssertionKey"
    ) -> AssertionKey:
        """Read ``pem``; ChektConfigError naming ``source`` (the config key, variable or file) if unusable."""
        register_private_key(pem)  # redaction hook: first, before any error could quote it
        text = pem.strip()
        if "-----BEGIN" not in text:
            raise ChektConfigError(f"{source} is not a PEM private key (it has no BEGIN line)")
        if "PUBLIC KEY-----" in text or "CERTIFICATE-----" in text:
            raise ChektConfigError(
                f"{source} holds a public key or certificate: the provider needs the private key "
                "(CHeKT keeps the public one)"
            )
        try:
            native = load_pem_private_key(text.encode("utf-8"), password=None)
        except TypeError:
            raise ChektConfigError(
                f"{source} is an encrypted private key: give it unencrypted (keep it in a secret instead)"
            ) from None
        except (ValueError, UnsupportedAlgorithm):
            raise ChektConfigError(f"{source} is not a readable PEM private key") from None
        if key_id is not None and not key_id.strip():
            key_id = None
        if isinstance(native, rsa.RSAPrivateKey):
            if native.key_size < MIN_RSA_BITS:
                raise ChektConfigError(
                    f"{source} is a {native.key_size}-bit RSA key; RS256 needs at least {MIN_RSA_BITS} bits"
                )
            return cls("RS256", RSAKey.import_key(text), key_id)
        if isinstance(native, ec.EllipticCurvePrivateKey):
            if native.curve.name != EC_CURVE:
                raise ChektConfigError(
                    f"{source} is an EC key on {native.curve.name}; ES256 needs curve P-256 (secp256r1)"
                )
            return cls("ES256", ECKey.import_key(text), key_id)
        raise ChektConfigError(
            f"{source} is a {type(native).__name__.removesuffix('PrivateKey') or 'other'} key; "
            "use an RSA (RS256) or EC P-256 (ES256) key"
        )
