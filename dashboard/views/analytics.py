"""Analytics: energy and sessions per day, utilisation per station, hour-of-week starts, revenue per month, CO₂.

The page is a shell; its script reads `analytics.json?from=&to=&station=` (local dates, both included).
"""

from datetime import date, timedelta

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone

from dashboard.access import may_see_money, staff_page
from dashboard.selectors import analytics
from dashboard.selectors.rollups import local_day
from dashboard.views.base import render_page
from stations.models import ChargingStation

DEFAULT_DAYS = 30
TOP_STATIONS = 20


class BadPeriod(ValueError):
    pass


def parse_period(params) -> analytics.Period:
    """from/to as YYYY-MM-DD (default: the last 30 days), at most MAX_DAYS apart; station as a station's id."""
    today = local_day(timezone.now())
    last = _date(params, "to", today)
    first = _date(params, "from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise BadPeriod("'from' is after 'to'.")
    if (last - first).days + 1 > analytics.MAX_DAYS:
        raise BadPeriod(f"A period spans at most {analytics.MAX_DAYS} days.")
    station = params.get("station") or None
    if station is not None:
        if not station.isdigit() or not ChargingStation.objects.filter(pk=int(station)).exists():
            raise BadPeriod("'station' is not a station's id.")
        station = int(station)
    return analytics.Period(first=first, last=last, station_id=station)


def _date(params, name: str, default: date) -> date:
    raw = params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadPeriod(f"'{name}' is not a date (YYYY-MM-DD).") from None


@staff_page
def analytics_page(request: HttpRequest):
    """The page opens on the period and station of its own URL (?from=&to=&station=), so a view can be shared."""
    stations = list(ChargingStation.objects.order_by("charge_point_id").values_list("pk", "charge_point_id")[:500])
    chosen = request.GET.get("station", "")
    if chosen.isdigit() and all(pk != int(chosen) for pk, _ in stations):
        stations += ChargingStation.objects.filter(pk=int(chosen)).values_list("pk", "charge_point_id")
    context = {
        "stations": stations,
        "hours": range(24),
        "chosen": {"from": request.GET.get("from", ""), "to": request.GET.get("to", ""), "station": chosen},
    }
    return render_page(request, "dashboard/analytics.html", context)


@staff_page
def analytics_data(request: HttpRequest):
    try:
        period = parse_period(request.GET)
    except BadPeriod as error:
        return JsonResponse({"detail": str(error)}, status=400)
    days = analytics.per_day(period)
    energy = sum(d.energy_wh for d in days)
    data = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "station": period.station_id,
        "days": [{"day": d.day.isoformat(), "kwh": round(d.energy_wh / 1000, 3), "sessions": d.sessions} for d in days],
        "kwh": round(energy / 1000, 3),
        "sessions": sum(d.sessions for d in days),
        "co2_kg": analytics.co2_avoided_kg(energy),
        "co2_kg_per_kwh": analytics.co2_factor(),
        "utilisation": [
            {
                "station_id": u.station_id,
                "charge_point_id": u.charge_point_id,
                "evses": u.evses,
                "occupied_hours": round(u.occupied_seconds / 3600, 1),
                "sessions": u.sessions,
                "kwh": round(u.energy_wh / 1000, 1),
                "percent": u.percent,
            }
            for u in analytics.utilisation(period, limit=TOP_STATIONS)
        ],
        "heatmap": {
            "measure": "session starts",
            "weekdays": analytics.WEEKDAYS,
            "starts": analytics.hour_of_week(period),
        },
    }
    if may_see_money(request.user):
        data["revenue"] = {
            currency: [{"month": m.month, "amount": float(m.amount), "cumulative": float(m.cumulative)} for m in months]
            for currency, months in analytics.revenue_per_month(period).items()
        }
    return JsonResponse(data)


urlpatterns = [
    path("analytics/", analytics_page, name="analytics"),
    path("analytics.json", analytics_data, name="analytics-data"),
]
