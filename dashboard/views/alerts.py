"""The alerts inbox: what needs a human, live; operators acknowledge and resolve, viewers look."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from alerts import selectors, services
from alerts.models import Alert
from dashboard.access import may_command, roles, staff_page
from dashboard.views.base import render_page


def _filters(request: HttpRequest) -> dict[str, str]:
    """The inbox's filters from the query string; a value that names no state or rule shows everything."""
    state = request.GET.get("state", "")
    rule = request.GET.get("rule", "")
    return {
        "state": state if state in Alert.State.values else "",
        "rule": rule if rule in dict(selectors.rule_choices()) else "",
    }


def _rows_context(request: HttpRequest) -> dict:
    filters = _filters(request)
    query = request.GET.urlencode()
    return {
        "alerts": selectors.inbox(**filters),
        "filters": filters,
        "back": reverse("dashboard:alerts") + (f"?{query}" if query else ""),
    }


@staff_page
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = {**_rows_context(request), "states": Alert.State.choices, "rules": selectors.rule_choices()}
    return render_page(request, "dashboard/alerts.html", context)


@staff_page
@require_GET
def rows(request: HttpRequest) -> HttpResponse:
    """The inbox's table rows alone: what the page fetches again when an alert changes."""
    return render(request, "dashboard/alerts_rows.html", {**roles(request.user), **_rows_context(request)})


@staff_page
@require_GET
def summary(request: HttpRequest) -> JsonResponse:
    """`open` counts the alerts not yet resolved: open and acknowledged."""
    return JsonResponse({"open": selectors.active_count()})


def _handler(move):
    @staff_page
    @require_POST
    def handle(request: HttpRequest, alert_id: int) -> HttpResponse:
        if not may_command(request.user):
            raise PermissionDenied("Only operators acknowledge and resolve alerts.")
        try:
            move(alert_id=alert_id, user=request.user)
        except Alert.DoesNotExist:
            raise Http404("No such alert.")
        except services.AlertClosed:
            pass  # resolved meanwhile (by the rules or a colleague): the page shows it so
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("dashboard:alerts")
        return redirect(back)

    return handle


urlpatterns = [
    path("alerts/", inbox, name="alerts"),
    path("alerts/rows/", rows, name="alerts-rows"),
    path("alerts/summary.json", summary, name="alerts-summary"),
    path("alerts/<int:alert_id>/acknowledge", _handler(services.acknowledge), name="alert-acknowledge"),
    path("alerts/<int:alert_id>/resolve", _handler(services.resolve), name="alert-resolve"),
]
