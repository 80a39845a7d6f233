"""Any other path under /ocpi/: a module URL with a trailing slash is that URL; anything else is no
endpoint of ours, answered in the envelope (HTTP 404, 2000) rather than Django's HTML page.

The spec writes URLs as `{endpoint_url}{country_code}/...`, so some clients append "/" to an endpoint
URL; the path without it is served as if asked for (by the view it names, which logs it once)."""

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from roaming.auth import Caller, ocpi_view
from roaming.envelope import CLIENT_ERROR, OcpiError


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.path.endswith("/"):
        try:
            match = resolve(request.path.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.func is not endpoint:
            return match.func(request, *match.args, **match.kwargs)
    return _unknown(request)


@ocpi_view()
def _unknown(request: HttpRequest, caller: Caller) -> HttpResponse:
    raise OcpiError(CLIENT_ERROR, f"No OCPI endpoint at {request.path}", http_status=404)
