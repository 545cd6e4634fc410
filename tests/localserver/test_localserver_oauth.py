"""The token endpoint: client credentials grant, its errors, token use and expiry."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import requests

from pulumi_chekt.localserver import AdminClient, ClientConfig, LocalServer, ServerConfig

GRANT = {"grant_type": "client_credentials"}


def _post(server: LocalServer, **kw: Any) -> requests.Response:
    return requests.post(server.token_url, timeout=10, **kw)


def test_basic_auth_issues_a_schema_valid_token(
    server: LocalServer, assert_valid: Callable[[str, Any], None]
) -> None:
    response = _post(server, data=GRANT, auth=("test-client", "test-client-secret-value"))
    assert response.status_code == 200
    body = response.json()
    assert_valid("token-response", body)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert response.headers["Cache-Control"] == "no-store"


def test_form_credentials_issue_a_token(server: LocalServer) -> None:
    data = {**GRANT, "client_id": "test-client", "client_secret": "test-client-secret-value"}
    response = _post(server, data=data)
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_basic_credentials_raw_or_form_encoded() -> None:
    # RFC 6749 §2.3.1 form-encodes id and secret before Basic; many clients send them raw
    secret = "a b+c/d:e"
    config = ServerConfig(clients=[ClientConfig(client_id="odd id", client_secret=secret, partner="adc")])
    with LocalServer(config) as server:
        for user, password in (("odd id", secret), (quote_plus("odd id"), quote_plus(secret))):
            raw = base64.b64encode(f"{user}:{password}".encode()).decode()
            response = _post(server, data=GRANT, headers={"Authorization": f"Basic {raw}"})
            assert response.status_code == 200, (user, response.text)
        wrong = base64.b64encode(b"odd id:a b+c/d").decode()
        assert _post(server, data=GRANT, headers={"Authorization": f"Basic {wrong}"}).status_code == 401


def test_each_token_is_new(server: LocalServer) -> None:
    tokens = {
        _post(server, data=GRANT, auth=("test-client", "test-client-secret-value")).json()["access_token"]
        for _ in range(3)
    }
    assert len(tokens) == 3


def test_wrong_secret_is_invalid_client(server: LocalServer) -> None:
    response = _post(server, data=GRANT, auth=("test-client", "wrong"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_unknown_client_is_invalid_client(server: LocalServer) -> None:
    response = _post(server, data={**GRANT, "client_id": "nobody", "client_secret": "x"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_no_client_authentication_is_invalid_client(server: LocalServer) -> None:
    response = _post(server, data=GRANT)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_malformed_basic_header_is_invalid_client(server: LocalServer) -> None:
    response = _post(server, data=GRANT, headers={"Authorization": "Basic !!!not-base64"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_other_grant_type_is_unsupported(server: LocalServer) -> None:
    response = _post(
        server, data={"grant_type": "password"}, auth=("test-client", "test-client-secret-value")
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_missing_grant_type_is_invalid_request(server: LocalServer) -> None:
    response = _post(server, data={"scope": "x"}, auth=("test-client", "test-client-secret-value"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


def test_json_body_is_invalid_request(server: LocalServer) -> None:
    response = _post(server, json=GRANT, auth=("test-client", "test-client-secret-value"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


def test_two_authentication_methods_are_invalid_request(server: LocalServer) -> None:
    data = {**GRANT, "client_id": "test-client", "client_secret": "test-client-secret-value"}
    response = _post(server, data=data, auth=("test-client", "test-client-secret-value"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


def test_repeated_parameter_is_invalid_request(server: LocalServer) -> None:
    body = "grant_type=client_credentials&grant_type=client_credentials"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = _post(server, data=body, headers=headers, auth=("test-client", "test-client-secret-value"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


def test_get_on_token_endpoint_is_405(server: LocalServer) -> None:
    response = requests.get(server.token_url, timeout=10)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_token_expires_after_its_lifetime(server_config: Any) -> None:
    server_config.token_lifetime = 1
    with LocalServer(server_config) as server:
        token = _post(server, data=GRANT, auth=("test-client", "test-client-secret-value")).json()
        assert token["expires_in"] == 1
        url = f"{server.url}/partner/v1/dealers/2/sites/3/devices"
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        time.sleep(1.1)
        expired = requests.get(url, headers=headers, timeout=10)
        assert expired.status_code == 401
        assert "expired" in expired.json()["message"]


def test_fault_token_lifetime_overrides_new_tokens(server: LocalServer, admin: AdminClient) -> None:
    admin.set_faults(token_lifetime=0)
    token = _post(server, data=GRANT, auth=("test-client", "test-client-secret-value")).json()
    assert token["expires_in"] == 0
    url = f"{server.url}/partner/v1/dealers/2/sites/3/devices"
    response = requests.get(url, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert response.status_code == 401
