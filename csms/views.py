from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect


def home(request: HttpRequest):
    return redirect("admin:index")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and for `make run`/tests waiting on the server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
