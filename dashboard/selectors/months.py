"""Month rollups: a long period is its whole calendar months (StationMonth) plus the days either side (StationDay).

A year of utilisation per station then reads about twelve rows a station instead of 365. A month's row is
the sum of its StationDay rows (station_months), so both ways of summing a period give the same figures.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from dashboard.models import StationDay, StationMonth
from dashboard.selectors.rollups import DayFigures, revenue_of


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Split:
    """first..last (both included) as days first..months_from-1, months months_from..months_to-1, days
    months_to..last. Without a whole month inside, months_from == months_to and the days cover it all."""

    first: date
    last: date
    months_from: date
    months_to: date

    def days(self) -> Q:
        if self.months_from == self.months_to:
            return Q(day__gte=self.first, day__lte=self.last)
        return Q(day__gte=self.first, day__lt=self.months_from) | Q(day__gte=self.months_to, day__lte=self.last)

    def months(self) -> Q:
        return Q(month__gte=self.months_from, month__lt=self.months_to)


def split(first: date, last: date) -> Split:
    months_from = first if first.day == 1 else next_month(first)
    months_to = (last + timedelta(days=1)).replace(day=1)
    if months_to <= months_from:
        return Split(first, last, first, first)
    return Split(first, last, months_from, months_to)


def station_months(month: date) -> dict[int, DayFigures]:
    """Every station's sums of its StationDay rows of the month: counters grouped in SQL, revenue (decimal
    strings in JSON, which SQLite cannot add exactly) added up here."""
    days = StationDay.objects.filter(day__gte=month, day__lt=next_month(month))
    figures = {
        station_id: DayFigures(sessions=sessions, energy_wh=energy_wh, occupied_seconds=occupied)
        for station_id, sessions, energy_wh, occupied in days.values("station_id")
        .annotate(s=Sum("sessions"), e=Sum("energy_wh"), o=Sum("occupied_seconds"))
        .values_list("station_id", "s", "e", "o")
    }
    for station_id, stored in days.exclude(revenue={}).values_list("station_id", "revenue").iterator(chunk_size=5000):
        figures[station_id].add(DayFigures(revenue=revenue_of(stored)))
    return figures


@dataclass(frozen=True)
class StationSums:
    station_id: int
    occupied_seconds: int
    sessions: int
    energy_wh: int


def top_stations(period: Split, *, station_id: int | None, limit: int) -> list[StationSums]:
    """The most occupied stations of the period: its partial months' days and its whole months summed
    together in one grouped query (UNION ALL of the two tables' rows), the top `limit` only leaving SQL."""
    columns = ("station_id", "occupied_seconds", "sessions", "energy_wh")
    days: QuerySet = StationDay.objects.filter(period.days())
    months: QuerySet = StationMonth.objects.filter(period.months())
    if station_id is not None:
        days, months = days.filter(station_id=station_id), months.filter(station_id=station_id)
    days_sql, days_params = days.values_list(*columns).query.sql_with_params()
    months_sql, months_params = months.values_list(*columns).query.sql_with_params()
    sql = (
        "SELECT station_id, SUM(occupied_seconds) AS occupied, SUM(sessions), SUM(energy_wh)"
        f" FROM ({days_sql} UNION ALL {months_sql}) AS period_rows"
        " GROUP BY station_id ORDER BY occupied DESC, station_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*days_params, *months_params, limit])
        # int(): PostgreSQL sums a bigint as numeric, which the driver gives as Decimal.
        return [
            StationSums(station, int(occupied), int(sessions), int(energy))
            for station, occupied, sessions, energy in cursor.fetchall()
        ]
