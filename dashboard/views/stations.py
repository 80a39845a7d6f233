"""One station's page, live: its page, and the JSON twin the page re-reads when nudged.

The twin carries the live figures and the page's changing parts rendered by the same partials as
the page itself, so the browser swaps them in and draws only the power chart: no formatting is
written twice. Times are shown in the site's time zone.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404, HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone

from dashboard.access import may_see_money, roles, staff_page
from dashboard.selectors.station import (
    RunningSession,
    StationPage,
    iso,
    message_log,
    station_commands,
    station_page,
    status_events,
)
from dashboard.views.base import render_page

CENTS = Decimal("0.01")  # rounded half up, as the page's floatformat rounds
# The parts of the page the twin re-renders, by the id of the element each replaces.
LIVE_PARTS = {
    "station-header": "dashboard/station/header.html",
    "station-evses": "dashboard/station/evses.html",
    "station-events": "dashboard/station/events.html",
}


def _page_or_404(station_id: int) -> StationPage:
    page = station_page(station_id=station_id)
    if page is None:
        raise Http404(f"No charging station with id {station_id}")
    return page


@staff_page
def station(request: HttpRequest, station_id: int):
    page = _page_or_404(station_id)
    context = {
        "page": page,
        "status_events": status_events(station_id=station_id),
        "messages_log": message_log(charge_point_id=page.station.charge_point_id),
        "commands": station_commands(request=request, station=page.station),
        "power": _power(page),
        "live_url": reverse("dashboard:station-live", args=[station_id]),
    }
    with timezone.override(page.time_zone):
        return render_page(request, "dashboard/station.html", context, socket=f"/ws/dashboard/stations/{station_id}")


@staff_page
def station_live(request: HttpRequest, station_id: int):
    page = station_page(station_id=station_id)
    if page is None:
        return JsonResponse({"detail": f"No charging station with id {station_id}."}, status=404)
    context = {**roles(request.user), "page": page, "status_events": status_events(station_id=station_id)}
    with timezone.override(page.time_zone):
        html = {part: render_to_string(template, context, request=request) for part, template in LIVE_PARTS.items()}
    return JsonResponse(
        {
            "station": _station(page),
            "evses": [
                {
                    "number": evse.number,
                    "connectors": [
                        {
                            "number": c.number,
                            "status": c.status,
                            "error_code": c.error_code,
                            "vendor_error_code": c.vendor_error_code,
                        }
                        for c in evse.connectors
                    ],
                    "session": _session(evse.session, money=may_see_money(request.user)) if evse.session else None,
                }
                for evse in page.evses
            ],
            "power": _power(page),
            "html": html,
        }
    )


def _station(page: StationPage) -> dict:
    station = page.station
    return {
        "id": station.pk,
        "charge_point_id": station.charge_point_id,
        "online": page.online,
        "since": iso(page.since),
        "state": page.state.value,
        "status": station.status,
        "error_code": station.error_code,
        "last_heartbeat_at": iso(station.last_heartbeat_at),
        "firmware_version": station.firmware_version,
        "firmware_status": station.firmware_status,
        "registration_status": station.registration_status,
    }


def _session(session: RunningSession, *, money: bool) -> dict:
    cost = None
    if money and session.cost is not None:
        cost = {"amount": str(session.cost.amount.quantize(CENTS, ROUND_HALF_UP)), "currency": session.cost.currency}
    return {
        "transaction_id": session.transaction_id,
        "url": reverse("dashboard:session", args=[session.transaction_id]),
        "power_w": session.power_w,
        "energy_wh": session.energy_wh,
        "soc_percent": session.soc_percent,
        "cost": cost,
        "driver": session.driver,
        "id_token": session.id_token,
        "started_at": iso(session.started_at),
    }


def _power(page: StationPage) -> list[dict]:
    """One line per running session for the chart: [time, W] points, oldest first."""
    return [
        {
            "evse": evse_number,
            "transaction_id": session.transaction_id,
            "points": [[iso(at), watts] for at, watts in session.power],
        }
        for evse_number, session in page.sessions
    ]


urlpatterns = [
    path("stations/<int:station_id>/", station, name="station"),
    path("stations/<int:station_id>/live.json", station_live, name="station-live"),
]
