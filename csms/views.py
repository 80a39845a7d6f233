from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error

from csms.api.errors import ErrorCode


def home(request: HttpRequest):
    """The site opens on the operators' dashboard (which sends a visitor to the admin's login first)."""
    return redirect("dashboard:overview")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and for `make run`/tests waiting on the server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception=None):
    """API clients get the API's JSON error shape; people get Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": ErrorCode.NOT_FOUND, "message": "No such endpoint."}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": ErrorCode.SERVER_ERROR, "message": "Something went wrong on our side."}, status=500
        )
    return django_server_error(request)
