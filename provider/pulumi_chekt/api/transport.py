"""The transport rules of every session we open, and naming a request that got no HTTP response.

``configure_session`` gives the API session and the token endpoint's session (Authlib's
OAuth2Session is a requests.Session) the same rules, so the https/loopback rule of ``urls`` cannot
be bypassed from the environment or by the server:

- **No redirects.** A 3xx is an error naming the status and the ``Location`` host; nothing is
  re-sent (requests would re-POST a create, or the token request, to wherever it points).
- **Proxies only for https to a non-loopback host**, taken from the environment (``HTTPS_PROXY``,
  ``ALL_PROXY``, ``NO_PROXY``) when the session is configured. A proxy never sees loopback http,
  where the bearer token would travel in clear text.
- **``caBundle`` wins**: ``session.trust_env`` is off, because with it on, requests'
  ``Session.merge_environment_settings`` replaces the session's ``verify`` by ``REQUESTS_CA_BUNDLE``
  or ``CURL_CA_BUNDLE`` on every request (and also reads ``~/.netrc``). Those variables are used only
  when no ``caBundle`` is configured.

- **One request budget** (``budget.RequestBudget``, shared by the API and token sessions of a
  client): every request waits its turn before it is sent, and a 429 holds every sender of the
  process for its ``Retry-After``. It sits in the session's adapter, below requests and Authlib, so
  nothing that goes on the wire (a retry, a token fetch, the re-send after a 401) bypasses it.

``transport_error`` tells whether a request provably never reached the server, which decides
whether a non-idempotent request (bulk create) may be sent again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.utils
import urllib3.exceptions

from pulumi_chekt.api.budget import RequestBudget
from pulumi_chekt.api.errors import (
    ChektConfigError,
    ChektRedirectError,
    ChektTimeout,
    ChektTLSError,
    ChektTransportError,
)
from pulumi_chekt.api.responses import request_facts, retry_after_seconds
from pulumi_chekt.api.urls import is_loopback_host

ENV_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def proxies_for(url: str) -> dict[str, str]:
    """The environment's proxy for ``url``: only for https to a host that is not loopback."""
    parts = urlsplit(url)
    if parts.scheme != "https" or is_loopback_host(parts.hostname or ""):
        return {}
    found = requests.utils.get_environ_proxies(url)  # empty when NO_PROXY matches the host
    return {scheme: proxy for scheme, proxy in found.items() if scheme in ("https", "all") and proxy}


def trusted_cas(ca_bundle: str | bool | None) -> str | bool:
    """``caBundle`` when set, else the environment's CA bundle, else the system store (True).

    Verification is never turned off: ``False`` counts as not set.
    """
    if isinstance(ca_bundle, str) and ca_bundle:
        return ca_bundle
    for variable in ENV_CA_VARIABLES:
        value = os.environ.get(variable)
        if value:
            if not Path(value).exists():
                raise ChektConfigError(f"{variable} {value!r} (from the environment) does not exist")
            return value
    return True


def refuse_redirects(response: requests.Response, *_: Any, **__: Any) -> requests.Response:
    """Response hook: a 3xx becomes ChektRedirectError before requests could follow it."""
    if not 300 <= response.status_code < 400:
        return response
    location = response.headers.get("Location", "")
    host = urlsplit(location).hostname or urlsplit(response.request.url or "").hostname or "?"
    response.close()
    raise ChektRedirectError(
        f"the server redirects to {host}; redirects are never followed (check baseUrl and tokenUrl)",
        status=response.status_code,
        **request_facts(response),
    )


class BudgetedAdapter(requests.adapters.HTTPAdapter):
    """requests' HTTP adapter, sending each request only when the process's budget allows it."""

    def __init__(self, budget: RequestBudget) -> None:
        super().__init__()
        self.budget = budget

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.budget.acquire()
        response = super().send(request, *args, **kwargs)
        if response.status_code == 429:
            self.budget.hold(retry_after_seconds(response) or 0.0)
        return response


def configure_session(
    session: requests.Session, url: str, ca_bundle: str | bool | None, budget: RequestBudget | None = None
) -> None:
    """Apply the transport rules to ``session``, which will only ever talk to ``url``'s host."""
    session.trust_env = False
    session.verify = trusted_cas(ca_bundle)
    session.proxies = proxies_for(url)
    if refuse_redirects not in session.hooks["response"]:
        session.hooks["response"].append(refuse_redirects)
    adapter = BudgetedAdapter(budget or RequestBudget())
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter)


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """True when the connection could not be opened, i.e. the request provably never left this host."""
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


def transport_error(
    error: requests.RequestException, method: str, path: str, trace_id: str
) -> ChektTransportError:
    """Our error for a request that got no HTTP response, without echoing URLs or headers."""
    facts: dict[str, Any] = {"method": method, "path": path, "trace_id": trace_id}
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return ChektTimeout("timed out while connecting", request_sent=False, **facts)
    if isinstance(error, requests.exceptions.Timeout):
        return ChektTimeout(
            "timed out waiting for the response; the server may have processed the request",
            request_sent=True,
            **facts,
        )
    if isinstance(error, requests.exceptions.SSLError):
        return ChektTLSError("TLS handshake failed (check caBundle)", request_sent=False, **facts)
    if isinstance(error, requests.exceptions.ConnectionError) and _never_connected(error):
        return ChektTransportError("could not connect to the API", request_sent=False, **facts)
    return ChektTransportError(
        "the connection failed before a response arrived; the server may have processed the request",
        request_sent=True,
        **facts,
    )
