"""The day figures the rollups store, computed from the sessions and CDRs themselves (the live computation).

Set-based: one grouped query per figure over the whole range of days, never a query per day or per
session. Only the sessions that cross a midnight (or still run) are split in Python, for their
occupied time. A day is the network's local day (settings.TIME_ZONE); sessions, energy, revenue and
starts count on the day the session started.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils import timezone

from billing.models import ChargeDetailRecord
from sessions.models import Transaction


@dataclass
class DayFigures:
    """What one station (or the network) did on one day."""

    sessions: int = 0
    energy_wh: int = 0
    occupied_seconds: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)
    starts_by_hour: list[int] = field(default_factory=lambda: [0] * 24)

    def add(self, other: "DayFigures") -> None:
        self.sessions += other.sessions
        self.energy_wh += other.energy_wh
        self.occupied_seconds += other.occupied_seconds
        for currency, amount in other.revenue.items():
            self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + amount
        self.starts_by_hour = [a + b for a, b in zip(self.starts_by_hour, other.starts_by_hour, strict=True)]


def network_zone():
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """The first moment of a local day, aware (compare it with UTC timestamps directly)."""
    return datetime.combine(day, time.min, tzinfo=network_zone())


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, network_zone()).date()


def energy_wh_expression():
    """Transaction.energy_wh in SQL: the register's rise so far, its falls added back (None without a start)."""
    return Coalesce(F("meter_stop_wh"), F("last_meter_wh")) - F("meter_start_wh") + F("meter_drop_wh")


def station_days(*, first: date, last: date, now: datetime | None = None) -> dict[tuple[int, date], DayFigures]:
    """Every (station, day) in [first, last] with a session, with its figures."""
    now = now or timezone.now()
    start, end = day_start(first), day_start(last + timedelta(days=1))
    figures: dict[tuple[int, date], DayFigures] = defaultdict(DayFigures)
    _add_sessions(figures, start, end)
    _add_occupied(figures, start, end, now, first, last)
    _add_revenue(figures, start, end)
    return dict(figures)


def network_days(station_figures: dict[tuple[int, date], DayFigures]) -> dict[date, DayFigures]:
    """The network's days: its stations' summed."""
    network: dict[date, DayFigures] = defaultdict(DayFigures)
    for (_, day), figures in station_figures.items():
        network[day].add(figures)
    return dict(network)


def _add_sessions(figures, start: datetime, end: datetime) -> None:
    zone = network_zone()
    same_day = Q(stopped_at__isnull=False) & Q(stop_day=F("start_day"))
    rows = (
        Transaction.objects.filter(started_at__gte=start, started_at__lt=end)
        .annotate(
            start_day=TruncDate("started_at", tzinfo=zone),
            stop_day=TruncDate("stopped_at", tzinfo=zone),
            hour=ExtractHour("started_at", tzinfo=zone),
        )
        .values("station_id", "start_day", "hour")
        .annotate(
            count=Count("pk"),
            energy=Sum(energy_wh_expression()),
            occupied=Sum(_duration(), filter=same_day),
        )
        .order_by()
    )
    for row in rows:
        day = figures[(row["station_id"], row["start_day"])]
        day.sessions += row["count"]
        day.energy_wh += row["energy"] or 0
        day.occupied_seconds += int(row["occupied"].total_seconds()) if row["occupied"] else 0
        day.starts_by_hour[row["hour"]] += row["count"]


def _duration():
    return ExpressionWrapper(F("stopped_at") - F("started_at"), output_field=DurationField())


def _add_occupied(figures, start: datetime, end: datetime, now: datetime, first: date, last: date) -> None:
    """The occupied time of sessions over a midnight (or still running), split into their local days.

    Same-day sessions were summed in SQL; these are the few that remain (a running one ends now).
    """
    zone = network_zone()
    crossing = (
        Transaction.objects.filter(started_at__lt=end)
        .filter(Q(stopped_at__isnull=True, status=Transaction.Status.ACTIVE) | Q(stopped_at__gt=start))
        .annotate(start_day=TruncDate("started_at", tzinfo=zone), stop_day=TruncDate("stopped_at", tzinfo=zone))
        .exclude(Q(stopped_at__isnull=False) & Q(stop_day=F("start_day")))
        .values_list("station_id", "started_at", "stopped_at")
    )
    for station_id, started_at, stopped_at in crossing:
        for day, seconds in _split_by_day(started_at, min(stopped_at or now, now), first, last):
            figures[(station_id, day)].occupied_seconds += seconds


def _split_by_day(begin: datetime, finish: datetime, first: date, last: date):
    day = max(local_day(begin), first)
    while day <= last:
        low, high = max(begin, day_start(day)), min(finish, day_start(day + timedelta(days=1)))
        if high <= low:
            if low >= finish:
                return
        else:
            yield day, int((high - low).total_seconds())
        day += timedelta(days=1)


def _add_revenue(figures, start: datetime, end: datetime) -> None:
    rows = (
        ChargeDetailRecord.objects.filter(transaction__started_at__gte=start, transaction__started_at__lt=end)
        .annotate(day=TruncDate("transaction__started_at", tzinfo=network_zone()))
        .values("transaction__station_id", "day", "currency")
        .annotate(amount=Sum("total_cost_excl_vat"))
        .order_by()
    )
    for row in rows:
        day = figures[(row["transaction__station_id"], row["day"])]
        day.revenue[row["currency"]] = day.revenue.get(row["currency"], Decimal(0)) + row["amount"]


def revenue_of(stored: dict[str, str]) -> dict[str, Decimal]:
    """A stored revenue dict ({currency: amount string}) back as Decimals."""
    return {currency: Decimal(amount) for currency, amount in stored.items()}
