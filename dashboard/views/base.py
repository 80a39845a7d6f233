"""What every dashboard page renders with: the user's roles and the live socket to open."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.access import roles


def render_page(
    request: HttpRequest, template: str, context: dict | None = None, *, socket: str = "/ws/dashboard"
) -> HttpResponse:
    """Render a page of templates/dashboard/; `socket` is the live path the page listens on."""
    return render(request, template, {**roles(request.user), "live_socket": socket, **(context or {})})
