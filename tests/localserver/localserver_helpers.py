"""Helpers shared by the local server tests (a module with a unique name, importable from any test here)."""

from __future__ import annotations

from typing import Any

import requests

from pulumi_chekt.contract import problems
from pulumi_chekt.localserver import LocalServer

TIMEOUT = 10
TEST_SECRET = "test-client-secret-value"
OWN_TOKEN = "<a token of test-client>"  # sentinel: call() fetches and uses it


class Api:
    """Calls the server's API paths with a bearer token of test-client (unless told otherwise)."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self._token: str | None = None

    def get_token(self, client_id: str = "test-client", secret: str = TEST_SECRET) -> str:
        response = requests.post(
            self.server.token_url,
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.get_token()
        return self._token

    def url(self, dealer: int | str = 2, site: int | str = 3, suffix: str = "") -> str:
        return f"{self.server.url}/partner/v1/dealers/{dealer}/sites/{site}/devices{suffix}"

    def call(
        self,
        method: str,
        url: str,
        *,
        token: str | None = OWN_TOKEN,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        bearer = self.token if token == OWN_TOKEN else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        timeout = kw.pop("timeout", TIMEOUT)
        return requests.request(method, url, headers=sent, timeout=timeout, **kw)

    def create(self, items: Any, dealer: int | str = 2, site: int | str = 3, **kw: Any) -> requests.Response:
        return self.call("POST", self.url(dealer, site), json=items, **kw)

    def update(self, items: Any, dealer: int | str = 2, site: int | str = 3, **kw: Any) -> requests.Response:
        return self.call("PUT", self.url(dealer, site), json=items, **kw)

    def delete(
        self, ids: list[int], dealer: int | str = 2, site: int | str = 3, **kw: Any
    ) -> requests.Response:
        return self.call("POST", self.url(dealer, site, "/bulk-delete"), json={"deviceIds": ids}, **kw)

    def list(self, dealer: int | str = 2, site: int | str = 3, **kw: Any) -> requests.Response:
        return self.call("GET", self.url(dealer, site), **kw)

    def get(
        self, device_id: int | str, dealer: int | str = 2, site: int | str = 3, **kw: Any
    ) -> requests.Response:
        return self.call("GET", self.url(dealer, site, f"/{device_id}"), **kw)

    @staticmethod
    def device(n: int, **fields: Any) -> dict[str, Any]:
        """A valid create item with zone and external id derived from ``n``."""
        return {
            "external_device_id": f"ext-{n}",
            "device_type": "camera",
            "zone_number": f"{n:03d}",
            **fields,
        }

    def create_one(self, n: int, **fields: Any) -> dict[str, Any]:
        response = self.create([self.device(n, **fields)])
        assert response.status_code == 201, response.text
        result = response.json()["results"][0]
        assert result["is_successful"], result
        return dict(result["res"])


def assert_valid(schema_name: str, instance: Any) -> None:
    """Fail with the schema problems if ``instance`` breaks schema ``schema_name``."""
    found = problems(schema_name, instance)
    assert not found, [str(problem) for problem in found]
