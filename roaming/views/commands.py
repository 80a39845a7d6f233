"""/ocpi/2.2.1/commands/{command}: an eMSP's command (receiver); the CommandResponse at once, the result later."""

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view, parse_json
from roaming.envelope import CLIENT_ERROR, OcpiError, ocpi_response
from roaming.services import commands


@ocpi_view()
def command(request: HttpRequest, caller: Caller, command: str) -> HttpResponse:
    if request.method != "POST":
        raise OcpiError(CLIENT_ERROR, f"{request.method} is not a commands receiver method", http_status=405)
    body = parse_json(request)
    answer = commands.receive(partner=caller.partner, command=command, body=body, from_party=caller.from_party)
    return ocpi_response(answer)


@ocpi_view()
def endpoint(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The module's URL as our version details list it: a command is POSTed to commands/{command}."""
    raise OcpiError(CLIENT_ERROR, "POST a command to commands/{command}", http_status=405)
