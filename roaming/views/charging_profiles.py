"""/ocpi/2.2.1/chargingprofiles/{session_id}: an eMSP sets (PUT), reads (GET) or clears (DELETE) a session's
charging profile (receiver); the ChargingProfileResponse at once, the result POSTed to its response_url."""

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view, parse_json
from roaming.envelope import CLIENT_ERROR, OcpiError, ocpi_response
from roaming.services import charging_profiles

_REQUESTS = {"PUT": charging_profiles.SET, "GET": charging_profiles.GET, "DELETE": charging_profiles.CLEAR}


@ocpi_view()
def charging_profile(request: HttpRequest, caller: Caller, session_id: str) -> HttpResponse:
    kind = _REQUESTS.get(request.method or "")
    if kind is None:
        raise OcpiError(CLIENT_ERROR, f"{request.method} is not a chargingprofiles receiver method", http_status=405)
    data = parse_json(request) if kind == charging_profiles.SET else request.GET.dict()
    answer = charging_profiles.receive(
        partner=caller.partner, request=kind, session_id=session_id, data=data, from_party=caller.from_party
    )
    return ocpi_response(answer)


@ocpi_view()
def endpoint(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The module's URL as our version details list it: the receiver works only on one session under it."""
    raise OcpiError(CLIENT_ERROR, "Address one session: chargingprofiles/{session_id}", http_status=405)
