"""The token endpoint: OAuth 2.0 client credentials grant (RFC 6749 §4.4, errors per §5.2).

The reference does not document it; ``POST /oauth/token`` is this project's choice. The client
authenticates with HTTP Basic, with client_id/client_secret form fields, or with a signed JWT
(``client_assertion_type`` = jwt-bearer and ``client_assertion``, RFC 7523 section 2.2; checked in
``assertions.py``), exactly one of them. The grant type is checked before the client, as common
servers (e.g. Authlib) do. A refused assertion is a 401 ``invalid_client`` whose
``error_description`` says why.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.wrappers import Response

from pulumi_chekt.localserver.assertions import ASSERTION_TYPE, AssertionRefused
from pulumi_chekt.localserver.auth import client_caller, parse_basic
from pulumi_chekt.localserver.config import ClientConfig
from pulumi_chekt.localserver.responses import ApiRequest, json_response
from pulumi_chekt.localserver.state import ServerState

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


def _oauth_error(status: int, error: str, basic: bool = False, description: str | None = None) -> Response:
    headers = dict(NO_STORE)
    if basic:
        headers["WWW-Authenticate"] = 'Basic realm="chekt"'
    body = {"error": error} if description is None else {"error": error, "error_description": description}
    return json_response(body, status, headers)


def _asserted_client(state: ServerState, request: ApiRequest) -> ClientConfig | Response:
    """The client a jwt-bearer client assertion authenticates, or the error response."""
    form = request.form
    if request.headers.get("Authorization") or "client_secret" in form:
        return _oauth_error(400, "invalid_request", description="use one way to authenticate the client")
    assertion_type, assertion = form.get("client_assertion_type"), form.get("client_assertion")
    if not assertion_type or not assertion:
        return _oauth_error(
            400, "invalid_request", description="client_assertion_type and client_assertion go together"
        )
    if assertion_type != ASSERTION_TYPE:
        return _oauth_error(
            401, "invalid_client", description=f"client_assertion_type must be {ASSERTION_TYPE}"
        )
    try:
        return state.auth.assertions.verify(assertion, request.base_url, form.get("client_id"))
    except AssertionRefused as refused:
        return _oauth_error(401, "invalid_client", description=str(refused))


def token(state: ServerState, request: ApiRequest, args: Mapping[str, str]) -> Response:
    """Exchange client credentials for a bearer token."""
    if request.mimetype != FORM:
        return _oauth_error(400, "invalid_request")
    request.body()  # enforces the size limit; the form parser reuses the cached bytes
    form = request.form
    if any(len(form.getlist(key)) > 1 for key in form):
        return _oauth_error(400, "invalid_request")
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(400, "invalid_request")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type")
    if "client_assertion" in form or "client_assertion_type" in form:
        asserted = _asserted_client(state, request)
        return asserted if isinstance(asserted, Response) else _issue(state, asserted)
    header = request.headers.get("Authorization")
    in_form = "client_id" in form or "client_secret" in form
    if header and in_form:
        return _oauth_error(400, "invalid_request")
    if header:
        credentials = parse_basic(header)
    elif in_form:
        credentials = (form.get("client_id", ""), form.get("client_secret", ""))
    else:
        credentials = None
    client = None if credentials is None else state.auth.check_client(*credentials, basic=bool(header))
    if client is None:
        return _oauth_error(401, "invalid_client", basic=bool(header))
    return _issue(state, client)


def _issue(state: ServerState, client: ClientConfig) -> Response:
    retry_after = state.rate_limited(client_caller(client))
    if retry_after is not None:
        headers = {**NO_STORE, "Retry-After": str(retry_after)}
        refusal = {"error": "too_many_requests", "error_description": state.limiter.message}
        return json_response(refusal, 429, headers)
    issued = state.auth.issue(client, state.token_lifetime())
    body = {"access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in}
    return json_response(body, 200, NO_STORE)
