"""/ocpi/2.2.1/credentials: the partner registers (POST, token A), updates (PUT), ends (DELETE), reads (GET)."""

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, TokenKind, ocpi_view, parse_json
from roaming.envelope import CLIENT_ERROR, OcpiError, ocpi_response
from roaming.models import Partner
from roaming.services import registration


def _registered(caller: Caller) -> None:
    if caller.token is not TokenKind.PARTNER or caller.partner.status != Partner.Status.REGISTERED:
        raise OcpiError(CLIENT_ERROR, "Not registered", http_status=405)


@ocpi_view(token_a=True, routed=False)
def credentials(request: HttpRequest, caller: Caller) -> HttpResponse:
    if request.method == "GET":
        return ocpi_response(registration.our_credentials(token=caller.presented_token))
    if request.method == "POST":
        if caller.token is not TokenKind.A:
            raise OcpiError(CLIENT_ERROR, "Already registered: use PUT to update", http_status=405)
        answer = registration.accept_registration(partner=caller.partner, credentials=parse_json(request))
        return ocpi_response(answer)
    if request.method == "PUT":
        _registered(caller)
        answer = registration.update_registration(partner=caller.partner, credentials=parse_json(request))
        return ocpi_response(answer)
    if request.method == "DELETE":
        _registered(caller)
        registration.unregister(partner=caller.partner)
        return ocpi_response(None)
    raise OcpiError(CLIENT_ERROR, f"{request.method} is not a credentials method", http_status=405)
