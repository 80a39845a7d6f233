"""/ocpi/2.2.1/hubclientinfo/{country_code}/{party_id}: a hub's parties and their connection (receiver)."""

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view, parse_json
from roaming.envelope import CLIENT_ERROR, OcpiError, ocpi_response
from roaming.services import hub_clients


@ocpi_view(routed=False)
def client_info(request: HttpRequest, caller: Caller, country_code: str, party_id: str) -> HttpResponse:
    where = {"partner": caller.partner, "country_code": country_code, "party_id": party_id}
    if request.method == "GET":
        return ocpi_response(hub_clients.get_client_info(**where))
    if request.method == "PUT":
        hub_clients.put_client_info(**where, data=parse_json(request))
        return ocpi_response(None)
    raise OcpiError(CLIENT_ERROR, f"{request.method} is not a hubclientinfo receiver method", http_status=405)


@ocpi_view(routed=False)
def endpoint(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The module's URL as our version details list it: the receiver works only on one party under it."""
    raise OcpiError(CLIENT_ERROR, "Address one party: hubclientinfo/{country_code}/{party_id}", http_status=405)
