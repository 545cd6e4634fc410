"""The client's signed assertions (private_key_jwt): what each one says, that each is new, that the
key is refused clearly when unusable, and that no message or log ever holds key material."""

from __future__ import annotations

import json
import logging
import time
from base64 import urlsafe_b64decode
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from pulumi_chekt.api import ChektClient, ChektConfigError, ChektTokenError, redact
from pulumi_chekt.api.assertion_key import AssertionKey
from pulumi_chekt.api.auth import ASSERTION_LIFETIME_SECONDS, ShortLivedPrivateKeyJWT
from pulumi_chekt.api.redaction import get_logger
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig
from tests.api.conftest import FAST_RETRIES
from tests.keys import KeyPair, ec_pair, rsa_pair

RSA_CLIENT, EC_CLIENT = "rsa-client", "ec-client"


def _part(jwt: str, index: int) -> dict[str, Any]:
    piece = jwt.split(".")[index]
    decoded: dict[str, Any] = json.loads(urlsafe_b64decode(piece + "=" * (-len(piece) % 4)))
    return decoded


class _Auth:
    client_id = RSA_CLIENT


@pytest.mark.parametrize(("pair", "alg"), [(rsa_pair(), "RS256"), (ec_pair(), "ES256")], ids=["RSA", "EC"])
def test_each_assertion_is_new_short_lived_and_addressed_to_the_token_url(pair: KeyPair, alg: str) -> None:
    url = "https://auth.example/oauth/token"
    method = ShortLivedPrivateKeyJWT(url, AssertionKey.from_pem(pair.private_pem, key_id="key-2025"))
    before = int(time.time())
    first, second = method.sign(_Auth(), url), method.sign(_Auth(), url)
    header, claims = _part(first, 0), _part(first, 1)
    assert (header["alg"], header["kid"]) == (alg, "key-2025")
    assert claims["iss"] == claims["sub"] == RSA_CLIENT
    assert claims["aud"] == url
    assert before <= claims["iat"] <= claims["exp"] - ASSERTION_LIFETIME_SECONDS + 1
    assert claims["exp"] - claims["iat"] == ASSERTION_LIFETIME_SECONDS <= 300
    assert claims["jti"] and claims["jti"] != _part(second, 1)["jti"]


@pytest.fixture
def keyed_server() -> Iterator[LocalServer]:
    config = ServerConfig(
        clients=[
            ClientConfig(RSA_CLIENT, None, "adc", public_key=rsa_pair().public_pem),
            ClientConfig(EC_CLIENT, None, "adc", public_key=ec_pair().public_pem),
        ],
        dealers={2: [3]},
    )
    with LocalServer(config) as server:
        yield server


def _client(server: LocalServer, client_id: str, pem: str) -> ChektClient:
    return ChektClient.from_credentials(
        base_url=server.url,
        token_url=server.token_url,
        client_id=client_id,
        client_assertion_key=pem,
        retry=FAST_RETRIES,
        sleep=lambda _: None,
    )


@pytest.mark.parametrize(("client_id", "pair"), [(RSA_CLIENT, rsa_pair()), (EC_CLIENT, ec_pair())])
def test_a_key_based_client_gets_tokens_with_a_new_assertion_each_time(
    keyed_server: LocalServer, client_id: str, pair: KeyPair
) -> None:
    with _client(keyed_server, client_id, pair.private_pem) as client:
        assert client.list_devices(2, 3) == []
        keyed_server.admin.reset()  # tokens forgotten: the next call gets a 401 and fetches again
        assert client.list_devices(2, 3) == []
        # The server refuses a replayed jti: the second fetch succeeded, so it sent a new assertion.
        assert len(keyed_server.issued_tokens()) == 2


def test_a_key_the_server_does_not_know_fails_as_a_token_error_without_key_material(
    keyed_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = rsa_pair(seed=7)
    caplog.set_level(logging.DEBUG, logger="pulumi_chekt")
    with (
        _client(keyed_server, RSA_CLIENT, wrong.private_pem) as client,
        pytest.raises(ChektTokenError) as raised,
    ):
        client.list_devices(2, 3)
    message = str(raised.value)
    assert "401" in message
    assert "the signature does not verify with the client's registered key" in message
    assert not wrong.leaks_in(message + caplog.text)


@pytest.mark.parametrize(
    ("make_pem", "reason"),
    [
        (lambda: "just text", "is not a PEM private key"),
        (lambda: rsa_pair().public_pem, "holds a public key or certificate"),
        (
            lambda: (
                "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0Cg==\n-----END PRIVATE KEY-----"
            ),
            "not a readable PEM private key",
        ),
        (
            lambda: _pem(rsa.generate_private_key(65537, 1024)),  # noqa: S505 (refused, as tested)
            "1024-bit RSA key; RS256 needs at least 2048",
        ),
        (
            lambda: _pem(ec.generate_private_key(ec.SECP384R1())),
            "EC key on secp384r1; ES256 needs curve P-256",
        ),
        (lambda: _pem(ed25519.Ed25519PrivateKey.generate()), "Ed25519 key; use an RSA"),
        (lambda: _pem(ec.generate_private_key(ec.SECP256R1()), b"pass phrase"), "encrypted private key"),
    ],
    ids=["text", "public", "garbage", "rsa-1024", "p-384", "ed25519", "encrypted"],
)
def test_unusable_keys_are_refused_by_source_and_reason_without_key_material(
    make_pem: Any, reason: str
) -> None:
    pem = make_pem()
    with pytest.raises(ChektConfigError) as raised:
        AssertionKey.from_pem(pem, source="CHEKT_CLIENT_ASSERTION_KEY_FILE (/keys/partner.pem)")
    message = str(raised.value)
    assert message.startswith("CHEKT_CLIENT_ASSERTION_KEY_FILE (/keys/partner.pem) ")
    assert reason in message
    fragment = pem.strip()[30:70]
    assert "-----BEGIN" not in message
    assert len(fragment) < 40 or fragment not in message


def _pem(key: Any, password: bytes | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    raw: bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return raw.decode()


def test_a_secret_and_a_key_together_are_refused(keyed_server: LocalServer) -> None:
    with pytest.raises(ChektConfigError, match="both a client secret and a client assertion key"):
        ChektClient.from_credentials(
            base_url=keyed_server.url,
            client_id=RSA_CLIENT,
            client_secret="s3cret-x",
            client_assertion_key="k",
        )
    with pytest.raises(ChektConfigError, match="needs the client id"):
        ChektClient.from_credentials(base_url=keyed_server.url, client_assertion_key=rsa_pair().private_pem)


def test_key_material_is_redacted_whole_cut_or_in_fragments(caplog: pytest.LogCaptureFixture) -> None:
    pair = rsa_pair(seed=3)
    AssertionKey.from_pem(pair.private_pem)  # registers the key, as reading it for a client does
    body = pair.body
    texts = [
        f"server said: {pair.private_pem}",
        json.dumps({"key": pair.private_pem}),
        f"cut off: {pair.private_pem[:150]}",
        f"one line: {pair.private_pem.splitlines()[5]} and more",
        f"a fragment {body[777:820]} in prose",
        f"wrapped across lines {body[100:130]}\n{body[130:170]}",
    ]
    for text in texts:
        cleaned = redact(text)
        assert "[redacted]" in cleaned
        assert not pair.leaks_in(cleaned), (text[:40], cleaned)
    caplog.set_level(logging.INFO, logger="pulumi_chekt")
    get_logger("pulumi_chekt.test").info("key was %s", pair.private_pem)
    assert not pair.leaks_in(caplog.text)
    # Ordinary long words and paths stay readable.
    kept = "path /home/partner/projects/sites/storefrontsandwarehouses/aaaa and TheQuickBrownFoxJumpsOverTheLazyDog1234"
    assert redact(kept) == kept
