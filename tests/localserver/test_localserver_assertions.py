"""Key-based clients: the token endpoint accepts a valid signed assertion (RFC 7523) and refuses,
with a 401 and its reason, every assertion that is replayed, forged, misaddressed or long-lived."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from tests.keys import KeyPair, ec_pair, rsa_pair

from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig
from pulumi_chekt.localserver.assertions import (
    ASSERTION_TYPE,
    MAX_LIFETIME_SECONDS,
    AssertionRefused,
    AssertionVerifier,
)
from pulumi_chekt.localserver.config import ConfigError, load_config

CLIENT = "keyed-client"
AUDIENCE = "http://127.0.0.1:1/oauth/token"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sign(pair: KeyPair, *, alg: str = "RS256", header: dict[str, Any] | None = None, **claims: Any) -> str:
    """An assertion signed with ``pair``'s private key; ``claims`` override the valid defaults
    (a value of None leaves that claim out)."""
    values: dict[str, Any] = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 120,
        "jti": str(uuid.uuid4()),
    }
    values.update(claims)
    payload = {key: value for key, value in values.items() if value is not None}
    key = (RSAKey if alg.startswith("RS") else ECKey).import_key(pair.private_pem)
    return jwt.encode({"alg": alg, **(header or {})}, payload, key, algorithms=[alg])


def verifier(pair: KeyPair, clock: Clock | None = None) -> AssertionVerifier:
    client = ClientConfig(client_id=CLIENT, client_secret=None, partner="adc", public_key=pair.public_pem)
    return AssertionVerifier({CLIENT: client}, clock or time.time)


@pytest.mark.parametrize("pair", [rsa_pair(), ec_pair()], ids=["RS256", "ES256"])
def test_a_valid_assertion_names_its_client(pair: KeyPair) -> None:
    alg = "RS256" if pair is rsa_pair() else "ES256"
    assert verifier(pair).verify(sign(pair, alg=alg), AUDIENCE).client_id == CLIENT


def test_a_replayed_assertion_is_refused_until_it_has_expired() -> None:
    clock = Clock()
    check = verifier(rsa_pair(), clock)
    assertion = sign(rsa_pair(), exp=int(clock.now) + 60, jti="once")
    check.verify(assertion, AUDIENCE)
    with pytest.raises(AssertionRefused, match="jti was already used"):
        check.verify(assertion, AUDIENCE)
    # a new assertion with the same jti after the first has expired is not a replay of a live one
    clock.now += 61
    check.verify(sign(rsa_pair(), exp=int(clock.now) + 60, jti="once"), AUDIENCE)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": None}, "has no sub"),
        (
            {"sub": "someone-else", "iss": "someone-else"},
            "no client 'someone-else' with a registered public key",
        ),
        ({"iss": "another"}, "iss must be the client id"),
        ({"aud": "http://127.0.0.1:1/other"}, "aud must be this token endpoint"),
        ({"exp": None}, "has no exp"),
        ({"exp": 1_800_000_000 - 1}, "has expired"),
        (
            {"exp": 1_800_000_000 + MAX_LIFETIME_SECONDS + 1},
            f"more than {MAX_LIFETIME_SECONDS} seconds ahead",
        ),
        ({"jti": None}, "has no jti"),
    ],
)
def test_each_claim_is_checked(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(AssertionRefused, match=reason):
        verifier(rsa_pair(), Clock()).verify(sign(rsa_pair(), **{"exp": 1_800_000_060, **claims}), AUDIENCE)


def test_exp_may_be_exactly_five_minutes_ahead_and_aud_may_be_a_list() -> None:
    assertion = sign(rsa_pair(), exp=1_800_000_000 + MAX_LIFETIME_SECONDS, aud=["other", AUDIENCE])
    assert verifier(rsa_pair(), Clock()).verify(assertion, AUDIENCE).client_id == CLIENT


def test_another_key_the_wrong_algorithm_and_no_signature_are_refused() -> None:
    check = verifier(rsa_pair())
    with pytest.raises(AssertionRefused, match="signature does not verify"):
        check.verify(sign(rsa_pair(seed=1)), AUDIENCE)
    with pytest.raises(
        AssertionRefused, match="alg 'ES256' is not accepted for this client's key: sign with RS256"
    ):
        check.verify(sign(ec_pair(), alg="ES256"), AUDIENCE)
    hmac = OctKey.import_key(b"a shared secret of 32 bytes or more..")  # HMAC is never a client's method
    forged = jwt.encode({"alg": "HS256"}, {"sub": CLIENT, "iss": CLIENT}, hmac, algorithms=["HS256"])
    with pytest.raises(AssertionRefused, match="alg 'HS256' is not accepted"):
        check.verify(forged, AUDIENCE)
    header, payload, _ = sign(rsa_pair()).split(".")
    with pytest.raises(AssertionRefused, match="signature does not verify"):
        check.verify(f"{header}.{payload}.", AUDIENCE)
    with pytest.raises(AssertionRefused, match="not a signed JWT"):
        check.verify("not-a-jwt", AUDIENCE)


# --- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def keyed_server() -> Any:
    config = ServerConfig(
        clients=[
            ClientConfig(
                client_id=CLIENT, client_secret=None, partner="adc", public_key=rsa_pair().public_pem
            ),
            ClientConfig(
                client_id="ec-client", client_secret=None, partner="adc", public_key=ec_pair().public_pem
            ),
            ClientConfig(client_id="secret-client", client_secret="secret-client-secret", partner="adc"),
        ],
        dealers={2: [3]},
    )
    with LocalServer(config) as server:
        yield server


def _token_request(server: LocalServer, assertion: str, **extra: str) -> requests.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    return requests.post(server.token_url, data=form, timeout=10)


def test_the_token_endpoint_issues_a_token_that_the_api_accepts(keyed_server: LocalServer) -> None:
    response = _token_request(keyed_server, sign(rsa_pair(), aud=keyed_server.token_url))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    listed = requests.get(
        f"{keyed_server.url}/partner/v1/dealers/2/sites/3/devices",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert listed.status_code == 200
    ec = sign(ec_pair(), alg="ES256", iss="ec-client", sub="ec-client", aud=keyed_server.token_url)
    assert _token_request(keyed_server, ec, client_id="ec-client").status_code == 200


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda url: sign(rsa_pair(seed=1), aud=url), "the signature does not verify"),
        (lambda url: sign(rsa_pair(), aud=url + "/elsewhere"), "aud must be this token endpoint"),
        (lambda url: sign(rsa_pair(), aud=url, iss="x"), "iss must be the client id"),
        (lambda url: sign(rsa_pair(), aud=url, exp=int(time.time()) - 5), "has expired"),
        (lambda url: sign(rsa_pair(), aud=url, exp=int(time.time()) + 3600), "seconds ahead"),
        (lambda url: sign(rsa_pair(), aud=url, jti=None), "has no jti"),
        (lambda url: sign(rsa_pair(), aud=url, sub="secret-client", iss="secret-client"), "no client"),
    ],
    ids=["other-key", "aud", "iss", "expired", "long-lived", "no-jti", "secret-client"],
)
def test_each_refusal_is_a_401_with_its_reason(keyed_server: LocalServer, make: Any, reason: str) -> None:
    response = _token_request(keyed_server, make(keyed_server.token_url))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]


def test_a_replayed_assertion_gets_a_401_over_http(keyed_server: LocalServer) -> None:
    assertion = sign(rsa_pair(), aud=keyed_server.token_url)
    assert _token_request(keyed_server, assertion).status_code == 200
    replay = _token_request(keyed_server, assertion)
    assert replay.status_code == 401
    assert "jti was already used" in replay.json()["error_description"]
    keyed_server.admin.reset()  # forgets used jtis with the tokens (the server's start state)
    assert _token_request(keyed_server, assertion).status_code == 200


def test_malformed_assertion_requests_are_400(keyed_server: LocalServer) -> None:
    assertion = sign(rsa_pair(), aud=keyed_server.token_url)
    no_assertion = requests.post(
        keyed_server.token_url,
        data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE},
        timeout=10,
    )
    assert no_assertion.status_code == 400
    with_secret = _token_request(keyed_server, assertion, client_secret="x")
    assert with_secret.status_code == 400
    other_id = _token_request(keyed_server, assertion, client_id="ec-client")
    assert other_id.status_code == 401
    assert "client_id and the assertion's sub differ" in other_id.json()["error_description"]
    other_type = _token_request(keyed_server, assertion, client_assertion_type="urn:other")
    assert other_type.status_code == 401


def test_a_key_based_client_cannot_use_a_secret_and_vice_versa(keyed_server: LocalServer) -> None:
    form = {"grant_type": "client_credentials"}
    assert requests.post(keyed_server.token_url, data=form, auth=(CLIENT, ""), timeout=10).status_code == 401
    secret = sign(rsa_pair(), aud=keyed_server.token_url, iss="secret-client", sub="secret-client")
    assert _token_request(keyed_server, secret).status_code == 401


# --- configuration ----------------------------------------------------------------------------------


def test_public_key_file_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "partner.pub.pem").write_text(ec_pair().public_pem)
    config_file = tmp_path / "local-api.yaml"
    config_file.write_text(
        "clients:\n  - {client_id: partner, public_key_file: keys/partner.pub.pem, partner: adc}\n"
    )
    [client] = load_config(config_file).clients
    assert client.public_key == ec_pair().public_pem
    assert client.client_secret is None
    assert "BEGIN" not in repr(client)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("{client_id: p, partner: adc}", "set client_secret or public_key_file \\(one of them\\)"),
        ("{client_id: p, client_secret: s3cret, public_key_file: k.pem, partner: adc}", "one of them"),
        ("{client_id: p, public_key_file: missing.pem, partner: adc}", "cannot read"),
        ("{client_id: p, public_key_file: private.pem, partner: adc}", "holds a private key"),
        ("{client_id: p, public_key_file: junk.pem, partner: adc}", "not a PEM public key"),
    ],
)
def test_public_key_file_mistakes_name_the_file_and_field(tmp_path: Path, entry: str, reason: str) -> None:
    (tmp_path / "k.pem").write_text(rsa_pair().public_pem)
    (tmp_path / "private.pem").write_text(rsa_pair().private_pem)
    (tmp_path / "junk.pem").write_text("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    config_file = tmp_path / "local-api.yaml"
    config_file.write_text(f"clients:\n  - {entry}\n")
    with pytest.raises(ConfigError, match=reason) as raised:
        load_config(config_file)
    assert str(config_file) in str(raised.value)
    assert rsa_pair().body[:40] not in str(raised.value)
