"""GET /ocpi/versions and GET /ocpi/2.2.1: what we speak and where each module of ours answers."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import ocpi_response
from roaming.services.registration import VERSION

# (module identifier, our role in it, the URL name in roaming/urls.py); a module is listed once it exists.
MODULES = [
    ("credentials", "SENDER", "roaming:credentials"),
    ("credentials", "RECEIVER", "roaming:credentials"),
    ("locations", "SENDER", "roaming:locations"),
    ("tariffs", "SENDER", "roaming:tariffs"),
    ("tokens", "RECEIVER", "roaming:tokens"),
    ("sessions", "SENDER", "roaming:sessions"),
    ("cdrs", "SENDER", "roaming:cdrs"),
    ("commands", "RECEIVER", "roaming:commands"),
    ("chargingprofiles", "RECEIVER", "roaming:chargingprofiles"),
    ("hubclientinfo", "RECEIVER", "roaming:hubclientinfo"),
]


def _absolute(name: str) -> str:
    return settings.OCPI_BASE_URL + reverse(name)


@ocpi_view(token_a=True, routed=False)
def versions(request: HttpRequest, caller: Caller) -> HttpResponse:
    return ocpi_response([{"version": VERSION, "url": _absolute("roaming:version-details")}])


@ocpi_view(token_a=True, routed=False)
def version_details(request: HttpRequest, caller: Caller) -> HttpResponse:
    endpoints = [{"identifier": module, "role": role, "url": _absolute(name)} for module, role, name in MODULES]
    return ocpi_response({"version": VERSION, "endpoints": endpoints})
