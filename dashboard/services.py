"""Writing the rollups: days recomputed from the sessions, CDRs and status history, months from their days,
and replaced whole."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dashboard.models import NetworkDay, StationDay, StationMonth
from dashboard.selectors.months import next_month, station_months
from dashboard.selectors.rollups import DayFigures, local_day, network_days, starts_by_day_hour, station_days
from dashboard.selectors.uptime import uptime_by_day

BATCH = 5000


def refresh_rollups(*, first: date, last: date, now: datetime | None = None) -> int:
    """Replace the rollups of the local days first..last and of the months they fall in; returns how
    many station-days were written.

    Delete and insert in one database transaction (a bulk upsert that also drops a (station, day)
    that no longer has a session): readers see the old days or the new ones, never half, and never a
    month that disagrees with its days.
    """
    now = now or timezone.now()
    stations = station_days(first=first, last=last, now=now)
    network = network_days(stations)
    starts = starts_by_day_hour(first=first, last=last)
    uptime = uptime_by_day(first=first, last=last, now=now)
    with transaction.atomic():
        StationDay.objects.filter(day__gte=first, day__lte=last).delete()
        StationDay.objects.bulk_create(
            (StationDay(station_id=station_id, day=day, **_fields(f)) for (station_id, day), f in stations.items()),
            batch_size=BATCH,
        )
        NetworkDay.objects.filter(day__gte=first, day__lte=last).delete()
        NetworkDay.objects.bulk_create(
            [
                NetworkDay(
                    day=day,
                    refreshed_at=now,
                    port_seconds=uptime[day].port_seconds,
                    up_seconds=uptime[day].up_seconds,
                    starts_by_hour=starts.get(day, [0] * 24),
                    **_fields(network.get(day, DayFigures())),
                )
                for day in _days(first, last)
            ],
            batch_size=BATCH,
        )
        _refresh_months(first, last)
    return len(stations)


def _refresh_months(first: date, last: date) -> None:
    """Recompute every StationMonth of the months that first..last touch from that month's StationDay rows."""
    month = first.replace(day=1)
    while month <= last:
        StationMonth.objects.filter(month=month).delete()
        StationMonth.objects.bulk_create(
            (
                StationMonth(station_id=station_id, month=month, **_fields(f))
                for station_id, f in station_months(month).items()
            ),
            batch_size=BATCH,
        )
        month = next_month(month)


def refresh_recent_rollups(*, days: int = 2, now: datetime | None = None) -> int:
    """Today and the days before it (yesterday's late stops and CDRs land in yesterday)."""
    now = now or timezone.now()
    today = local_day(now)
    return refresh_rollups(first=today - timedelta(days=days - 1), last=today, now=now)


def _fields(figures: DayFigures) -> dict:
    return {
        "sessions": figures.sessions,
        "energy_wh": figures.energy_wh,
        "occupied_seconds": figures.occupied_seconds,
        "revenue": {currency: str(amount) for currency, amount in sorted(figures.revenue.items())},
    }


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
