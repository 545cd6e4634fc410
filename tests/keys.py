"""Key pairs for signed client assertions, made at test time (no private key is ever committed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from joserfc.jwk import ECKey, RSAKey


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @property
    def body(self) -> str:
        """The private key's base64 body, without armor and line breaks."""
        return "".join(line for line in self.private_pem.strip().splitlines() if not line.startswith("-----"))

    def leaks_in(self, text: str) -> list[str]:
        """Key material found in ``text``: PEM armor, or any 40-character run of the private key's body."""
        found = [armor for armor in re.findall(r"-----(?:BEGIN|END) [A-Z ]*PRIVATE KEY-----", text)]
        body = self.body
        found += [body[i : i + 40] for i in range(len(body) - 39) if body[i : i + 40] in text]
        return found


@cache
def rsa_pair(seed: int = 0) -> KeyPair:
    """An RSA-2048 key pair (one per ``seed`` and test session)."""
    key = RSAKey.generate_key(2048)
    return KeyPair(key.as_pem(private=True).decode(), key.as_pem(private=False).decode())


@cache
def ec_pair(seed: int = 0) -> KeyPair:
    """An EC P-256 key pair (one per ``seed`` and test session)."""
    key = ECKey.generate_key("P-256")
    return KeyPair(key.as_pem(private=True).decode(), key.as_pem(private=False).decode())
