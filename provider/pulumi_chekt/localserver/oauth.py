"""The token endpoint: OAuth 2.0 client credentials grant (RFC 6749 §4.4, errors per §5.2).

The reference does not document it; ``POST /oauth/token`` is this project's choice. The client
authenticates with HTTP Basic or with client_id/client_secret form fields, never both. The grant
type is checked before the client, as common servers (e.g. Authlib) do.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.wrappers import Response

from pulumi_chekt.localserver.auth import parse_basic
from pulumi_chekt.localserver.responses import ApiRequest, json_response
from pulumi_chekt.localserver.state import ServerState

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


def _oauth_error(status: int, error: str, basic: bool = False) -> Response:
    headers = dict(NO_STORE)
    if basic:
        headers["WWW-Authenticate"] = 'Basic realm="chekt"'
    return json_response({"error": error}, status, headers)


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
    issued = state.auth.issue(client, state.token_lifetime())
    body = {"access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in}
    return json_response(body, 200, NO_STORE)
