"""/ocpi/2.2.1/tokens/{country_code}/{party_id}/{token_uid}[?type=]: an eMSP's tokens, pushed to us (receiver)."""

from typing import Any

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view, parse_json
from roaming.envelope import CLIENT_ERROR, OcpiError, ocpi_response
from roaming.services import tokens


@ocpi_view()
def token(request: HttpRequest, caller: Caller, country_code: str, party_id: str, uid: str) -> HttpResponse:
    where: dict[str, Any] = {
        "partner": caller.partner,
        "country_code": country_code,
        "party_id": party_id,
        "uid": uid,
        "token_type": request.GET.get("type"),
        "from_party": caller.from_party,
    }
    if request.method == "GET":
        return ocpi_response(tokens.get_token(**where))
    if request.method == "PUT":
        tokens.put_token(**where, token=parse_json(request))
        return ocpi_response(None)
    if request.method == "PATCH":
        tokens.patch_token(**where, changes=parse_json(request))
        return ocpi_response(None)
    raise OcpiError(CLIENT_ERROR, f"{request.method} is not a tokens receiver method", http_status=405)


@ocpi_view()
def endpoint(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The module's URL as our version details list it: the receiver works only on one token under it."""
    raise OcpiError(CLIENT_ERROR, "Address one token: tokens/{country_code}/{party_id}/{token_uid}", http_status=405)
