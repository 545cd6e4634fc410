"""A typed client for the CHeKT Partner Devices API, built on requests.

Paths are exactly the reference's. Each HTTP request carries a fresh UUID in x-partner-trace-id,
and every error names it. Responses are validated against schemas/ before anything reads them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from pulumi_chekt._version import __version__
from pulumi_chekt.api.assertion_key import AssertionKey
from pulumi_chekt.api.auth import ClientCredentials, StaticToken, TokenSource
from pulumi_chekt.api.budget import RequestBudget
from pulumi_chekt.api.errors import (
    ChektConfigError,
    ChektResponseError,
    ChektTokenError,
)
from pulumi_chekt.api.models import BulkItemResult, BulkResult, Device
from pulumi_chekt.api.redaction import echo, get_logger
from pulumi_chekt.api.responses import (
    TRACE_HEADER,
    checked_json,
    new_trace_id,
    raise_for_status,
    request_facts,
)
from pulumi_chekt.api.retry import RetryPolicy, call_with_retries
from pulumi_chekt.api.transport import configure_session, transport_error
from pulumi_chekt.api.urls import DEFAULT_BASE_URL, checked_url, default_token_url
from pulumi_chekt.contract.device_fields import DEALER_ID, DEVICE_ID, SITE_ID

log = get_logger("pulumi_chekt.api")  # redaction hook: a logger whose records are redacted

DEFAULT_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds for every request."""


def _positive_id(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def devices_path(dealer_id: int, site_id: int) -> str:
    """``/partner/v1/dealers/{dealerId}/sites/{siteId}/devices``"""
    dealer = _positive_id(dealer_id, DEALER_ID)
    site = _positive_id(site_id, SITE_ID)
    return f"/partner/v1/dealers/{dealer}/sites/{site}/devices"


class ChektClient:
    """List, get, bulk create, bulk update and bulk delete devices of a site."""

    def __init__(
        self,
        auth: TokenSource,
        *,
        base_url: str = DEFAULT_BASE_URL,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        budget: RequestBudget | None = None,
    ) -> None:
        self.base_url = checked_url(base_url, what="baseUrl")
        if ca_bundle and not Path(ca_bundle).is_file():
            raise ChektConfigError(f"caBundle {ca_bundle!r} is not a readable file")
        self._auth = auth
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.budget = budget or RequestBudget()
        self._session = requests.Session()
        # transport hook: CA, proxies, redirects, and the request budget every request waits for
        configure_session(self._session, self.base_url, ca_bundle, self.budget)
        self._session.headers["User-Agent"] = f"pulumi-chekt/{__version__}"
        self._session.headers["Accept"] = "application/json"

    @classmethod
    def from_credentials(
        cls,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_id: str | None = None,
        client_secret: str | None = None,
        client_assertion_key: str | AssertionKey | None = None,
        api_token: str | None = None,
        token_url: str | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_requests_per_minute: float | None = None,
    ) -> ChektClient:
        """A client using OAuth client credentials (the client id with its secret, or with a private key
        that signs client assertions; never both) when given, else the static API token. All of its
        requests, token requests included, share one budget of ``max_requests_per_minute``."""
        if client_secret and client_assertion_key:
            raise ChektConfigError("both a client secret and a client assertion key are set: use one of them")
        if client_assertion_key and not client_id:
            raise ChektConfigError("a client assertion key needs the client id it was registered for")
        budget = RequestBudget(max_requests_per_minute)
        auth: TokenSource
        secret: str | AssertionKey | None = client_secret
        if isinstance(client_assertion_key, str):
            secret = AssertionKey.from_pem(client_assertion_key)
        elif client_assertion_key is not None:
            secret = client_assertion_key
        if client_id and secret:
            url = checked_url(token_url or default_token_url(base_url), what="tokenUrl")
            auth = ClientCredentials(
                client_id,
                secret,
                url,
                verify=ca_bundle or True,
                timeout=timeout,
                retry=retry,
                sleep=sleep,
                budget=budget,
            )
        elif api_token:
            auth = StaticToken(api_token)
        else:
            raise ChektConfigError(
                "no CHeKT credentials: set chekt:clientId with chekt:clientSecret or "
                "chekt:clientAssertionKey, or chekt:apiToken (or CHEKT_CLIENT_ID with CHEKT_CLIENT_SECRET, "
                "CHEKT_CLIENT_ASSERTION_KEY or CHEKT_CLIENT_ASSERTION_KEY_FILE, or CHEKT_API_TOKEN)"
            )
        return cls(
            auth,
            base_url=base_url,
            ca_bundle=ca_bundle,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            budget=budget,
        )

    def authenticate(self) -> None:
        """Get an access token now (a no-op for an API key): ChektTokenError if the credentials are refused."""
        try:
            self._auth.bearer()
        except ChektTokenError:
            self.close()
            raise

    # --- the five endpoints -------------------------------------------------------------------

    def list_devices(self, dealer_id: int, site_id: int) -> list[Device]:
        body = self._call("GET", devices_path(dealer_id, site_id), schema="device-list", idempotent=True)
        return list(body)

    def get_device(self, dealer_id: int, site_id: int, device_id: int) -> Device:
        path = f"{devices_path(dealer_id, site_id)}/{_positive_id(device_id, DEVICE_ID)}"
        body: Device = self._call("GET", path, schema="device", idempotent=True)
        return body

    def create_devices(self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]) -> BulkResult:
        """Bulk create. Not idempotent: re-sent here only when the server provably did not process it;
        after an ambiguous failure (``retry.may_have_been_processed``) the caller looks the devices up."""
        sent = [dict(item) for item in items]
        path = devices_path(dealer_id, site_id)
        return self._bulk("POST", path, sent, sent, idempotent=False)

    def update_devices(self, dealer_id: int, site_id: int, items: Sequence[Mapping[str, Any]]) -> BulkResult:
        """Bulk update; each item holds device_id and the fields to change. Safe to repeat."""
        sent = [dict(item) for item in items]
        return self._bulk("PUT", devices_path(dealer_id, site_id), sent, sent, idempotent=True)

    def delete_devices(self, dealer_id: int, site_id: int, device_ids: Sequence[int]) -> BulkResult:
        """Bulk delete. Repeating it is harmless (a gone device answers 404), so it is retried freely."""
        ids = [_positive_id(device_id, DEVICE_ID) for device_id in device_ids]
        path = f"{devices_path(dealer_id, site_id)}/bulk-delete"
        return self._bulk("POST", path, {"deviceIds": ids}, [{DEVICE_ID: i} for i in ids], idempotent=True)

    # --- plumbing ----------------------------------------------------------------------------

    def _bulk(
        self, method: str, path: str, body: Any, items: list[dict[str, Any]], *, idempotent: bool
    ) -> BulkResult:
        if not items:
            return BulkResult(success_count=0, failure_count=0, items=[])
        response = self._send(method, path, body, idempotent=idempotent)
        envelope = checked_json(response, "bulk-result")
        results = envelope["results"]
        facts = request_facts(response)
        if len(results) != len(items):
            raise ChektResponseError(
                f"the API returned {len(results)} results for {len(items)} items sent", **facts
            )
        tied = [
            BulkItemResult(
                index=index,
                request=items[index],
                is_successful=result["is_successful"],
                status_code=result.get("status_code"),
                error_message=echo(result.get("error_message") or ""),  # redaction hook
                device=result.get("res"),
            )
            for index, result in enumerate(results)
        ]
        successes = sum(1 for item in tied if item.is_successful)
        if (envelope["success_count"], envelope["failure_count"]) != (successes, len(tied) - successes):
            raise ChektResponseError("success_count/failure_count disagree with the results", **facts)
        return BulkResult(
            success_count=successes,
            failure_count=len(tied) - successes,
            items=tied,
            trace_id=facts["trace_id"],
        )

    def _call(self, method: str, path: str, *, schema: str, idempotent: bool) -> Any:
        return checked_json(self._send(method, path, None, idempotent=idempotent), schema)

    def _send(self, method: str, path: str, body: Any, *, idempotent: bool) -> requests.Response:
        return call_with_retries(
            lambda: self._send_once(method, path, body),
            policy=self._retry,
            idempotent=idempotent,
            sleep=self._sleep,
        )

    def _send_once(self, method: str, path: str, body: Any) -> requests.Response:
        """One logical attempt: at most two HTTP requests, the second after refreshing a rejected token."""
        refreshed = False
        while True:
            token = self._auth.bearer()
            trace_id = new_trace_id()
            headers = {"Authorization": f"Bearer {token}", TRACE_HEADER: trace_id}
            try:
                response = self._session.request(
                    method, self.base_url + path, json=body, headers=headers, timeout=self._timeout
                )
            except requests.RequestException as error:
                raise transport_error(error, method, path, trace_id) from None
            log.debug("%s %s -> %s (trace id %s)", method, path, response.status_code, trace_id)
            if response.status_code == 401 and not refreshed and self._auth.invalidate():
                refreshed = True
                continue
            raise_for_status(response)
            return response

    def close(self) -> None:
        self._session.close()
        closer = getattr(self._auth, "close", None)
        if callable(closer):
            closer()

    def __enter__(self) -> ChektClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ChektClient(base_url={self.base_url!r})"
