"""The analytics page's figures over a period of local days, from the day rollups (dashboard.models).

The network's figures read NetworkDay (a row a day); one station's read its StationDay rows. Sums per
station (utilisation, one station's revenue) read whole months from StationMonth and only the days of
the partial months either side from StationDay (dashboard.selectors.months). The
hour-of-week heatmap counts session starts (not occupied time) in each local weekday and hour.
Utilisation is occupied EVSE-seconds over (EVSEs × seconds of the period).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from dashboard.models import NetworkDay, StationDay, StationMonth
from dashboard.selectors.months import split, top_stations
from dashboard.selectors.rollups import revenue_of, starts_by_day_hour
from stations.models import ChargingStation, Evse

MAX_DAYS = 366
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    station_id: int | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _days(period: Period):
    if period.station_id is None:
        return NetworkDay.objects.filter(day__gte=period.first, day__lte=period.last)
    return StationDay.objects.filter(station_id=period.station_id, day__gte=period.first, day__lte=period.last)


@dataclass(frozen=True)
class Day:
    day: date
    energy_wh: int
    sessions: int


def per_day(period: Period) -> list[Day]:
    """Every day of the period, days without sessions as zeros."""
    found = {
        day: (energy, sessions) for day, energy, sessions in _days(period).values_list("day", "energy_wh", "sessions")
    }
    return [Day(day, *found.get(day, (0, 0))) for day in (period.first + timedelta(days=n) for n in range(period.days))]


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    amount: Decimal
    cumulative: Decimal


def revenue_per_month(period: Period) -> dict[str, list[Month]]:
    """Sealed revenue (excl. VAT) per currency and month of the period, with its running total."""
    sums: dict[str, dict[str, Decimal]] = {}
    for day, stored in _revenue_rows(period):
        for currency, amount in revenue_of(stored).items():
            months = sums.setdefault(currency, {})
            key = day.strftime("%Y-%m")
            months[key] = months.get(key, Decimal(0)) + amount
    result = {}
    for currency, months in sorted(sums.items()):
        running, rows = Decimal(0), []
        for key in _months(period):
            running += months.get(key, Decimal(0))
            rows.append(Month(key, months.get(key, Decimal(0)), running))
        result[currency] = rows
    return result


def _revenue_rows(period: Period):
    """(day or month's first day, stored revenue): the network's days, or one station's months and partial days."""
    if period.station_id is None:
        return _days(period).values_list("day", "revenue")
    parts = split(period.first, period.last)
    own = {"station_id": period.station_id}
    return [
        *StationDay.objects.filter(parts.days(), **own).values_list("day", "revenue"),
        *StationMonth.objects.filter(parts.months(), **own).values_list("month", "revenue"),
    ]


def _months(period: Period) -> list[str]:
    keys, day = [], period.first.replace(day=1)
    while day <= period.last:
        keys.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return keys


def hour_of_week(period: Period) -> list[list[int]]:
    """Session starts, 7 rows (Monday first) × 24 local hours: the network's from its day rollups, one
    station's (a few hundred sessions a year) from its sessions."""
    if period.station_id is None:
        days = NetworkDay.objects.filter(day__gte=period.first, day__lte=period.last).values_list(
            "day", "starts_by_hour"
        )
    else:
        days = starts_by_day_hour(first=period.first, last=period.last, station_id=period.station_id).items()
    grid = [[0] * 24 for _ in range(7)]
    for day, hours in days:
        row = grid[day.weekday()]
        for hour, count in enumerate(hours):
            row[hour] += count
    return grid


@dataclass(frozen=True)
class Utilisation:
    station_id: int
    charge_point_id: str
    evses: int
    occupied_seconds: int
    sessions: int
    energy_wh: int
    percent: float


def utilisation(period: Period, *, limit: int = 20) -> list[Utilisation]:
    """The most occupied stations of the period (one station's row when the period names one)."""
    top = top_stations(split(period.first, period.last), station_id=period.station_id, limit=limit)
    evse_count = Evse.objects.filter(station=OuterRef("pk")).order_by().values("station").annotate(n=Count("pk"))
    stations = {
        pk: (cp, evses)
        for pk, cp, evses in ChargingStation.objects.filter(pk__in=[row.station_id for row in top])
        .annotate(evse_count=Coalesce(Subquery(evse_count.values("n")), 0))
        .values_list("pk", "charge_point_id", "evse_count")
    }
    seconds = period.days * 86_400
    result = []
    for row in top:
        charge_point_id, evses = stations.get(row.station_id, ("?", 0))
        capacity = max(evses, 1) * seconds
        result.append(
            Utilisation(
                row.station_id,
                charge_point_id,
                evses,
                row.occupied_seconds,
                row.sessions,
                row.energy_wh,
                round(100 * row.occupied_seconds / capacity, 2),
            )
        )
    return result


def co2_factor() -> float:
    """kg CO₂ avoided per kWh charged: settings.DASHBOARD_CO2_KG_PER_KWH (the setting says where it comes from)."""
    return settings.DASHBOARD_CO2_KG_PER_KWH


def co2_avoided_kg(energy_wh: int) -> float:
    return round(energy_wh / 1000 * co2_factor(), 1)
