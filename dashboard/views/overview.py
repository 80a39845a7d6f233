"""The overview: the network's cards, sites with a power limit and the latest problem stations.

`overview.json` returns the same figures as numbers; the page's script re-reads it on live nudges.
"""

from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from django.urls import path

from dashboard.access import may_see_money, staff_page
from dashboard.selectors.overview import Figures, overview_figures, recent_problem_stations, sites_with_power_limit
from dashboard.views.base import render_page


def _money(revenue: dict[str, Decimal]) -> dict[str, float]:
    return {currency: float(round(amount, 2)) for currency, amount in sorted(revenue.items())}


def figures_json(figures: Figures, *, money: bool) -> dict:
    """The cards' values, keyed by the cards' data-card names (the page and the browser tests read these)."""
    now = figures.now
    data = {
        "online_percent": now.online_percent,
        "charging_now": now.charging,
        "faulted": now.faulted,
        "offline": now.offline,
        "sessions_in_progress": now.sessions_in_progress,
        "kw_now": round(now.power_w / 1000, 1),
        "kwh_today": round(figures.today.energy_wh / 1000, 1),
        "kwh_month": round(figures.month.energy_wh / 1000, 1),
        "uptime_30d": figures.uptime_30d.percent,
    }
    if money:
        data["revenue_today"] = _money(figures.today.revenue)
        data["revenue_month"] = _money(figures.month.revenue)
    return data


# The cards in their order: data-card name, label, unit (the script formats the same way).
CARDS = [
    ("online_percent", "Stations online", "%"),
    ("charging_now", "Charging now", ""),
    ("faulted", "Faulted", ""),
    ("offline", "Offline", ""),
    ("sessions_in_progress", "Sessions in progress", ""),
    ("kw_now", "Power now", "kW"),
    ("kwh_today", "Energy today", "kWh"),
    ("revenue_today", "Revenue today (excl. VAT)", ""),
    ("kwh_month", "Energy this month", "kWh"),
    ("revenue_month", "Revenue this month (excl. VAT)", ""),
    ("uptime_30d", "Uptime, 30 days", "%"),
]


def _text(value, unit: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict):
        return " · ".join(f"{amount:,.2f} {currency}" for currency, amount in value.items()) or "0.00"
    if isinstance(value, float):
        return f"{value:,.1f} {unit}".strip()
    return f"{value:,} {unit}".strip()


def _cards(data: dict) -> list[dict]:
    return [
        {"name": name, "label": label, "unit": unit, "text": _text(data[name], unit)}
        for name, label, unit in CARDS
        if name in data
    ]


def _sites() -> list[dict]:
    return [
        {
            "location_id": s.location_id,
            "name": s.name,
            "kw_now": round(s.power_w / 1000, 1),
            "limit_kw": round(s.limit_w / 1000, 1),
            "percent": s.percent,
        }
        for s in sites_with_power_limit()
    ]


@staff_page
def overview(request: HttpRequest):
    money = may_see_money(request.user)
    context = {
        "cards": _cards(figures_json(overview_figures(), money=money)),
        "sites": _sites(),
        "problems": recent_problem_stations(),
    }
    return render_page(request, "dashboard/overview.html", context)


@staff_page
def overview_data(request: HttpRequest):
    money = may_see_money(request.user)
    return JsonResponse({**figures_json(overview_figures(), money=money), "sites": _sites()})


urlpatterns = [
    path("", overview, name="overview"),
    path("overview.json", overview_data, name="overview-data"),
]
