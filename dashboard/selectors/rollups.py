"""The day figures the rollups store, computed from the sessions and CDRs themselves (the live computation).

Set-based: one grouped query per figure over the whole range of days, never a query per day or per
session, with local days in SQL arithmetic (dashboard.selectors.local_time). Only the sessions that
cross a midnight (or still run) are split in Python, for their occupied time.

A day is the network's local day (settings.TIME_ZONE). Sessions, energy, revenue and starts count
on the day the session started; energy is the meter's (Transaction.energy_wh, so far for a running
session); revenue is the sealed CDRs' total excl. VAT, per currency.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import ChargeDetailRecord
from dashboard.selectors.local_time import Epoch, day_of, local_day_number, local_hour, offsets
from sessions.models import Transaction


@dataclass
class DayFigures:
    """What one station (or the network) did on one day."""

    sessions: int = 0
    energy_wh: int = 0
    occupied_seconds: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)

    def add(self, other: "DayFigures") -> None:
        self.sessions += other.sessions
        self.energy_wh += other.energy_wh
        self.occupied_seconds += other.occupied_seconds
        for currency, amount in other.revenue.items():
            self.revenue[currency] = self.revenue.get(currency, Decimal(0)) + amount


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
    """Every (station, day) in [first, last] with a session or occupied time, with its figures."""
    now = now or timezone.now()
    span = _Span(first, last)
    figures: dict[tuple[int, date], DayFigures] = defaultdict(DayFigures)
    _add_sessions(figures, span)
    _add_occupied(figures, span, now)
    _add_revenue(figures, span)
    return dict(figures)


def network_days(station_figures: dict[tuple[int, date], DayFigures]) -> dict[date, DayFigures]:
    """The network's days: its stations' summed."""
    network: dict[date, DayFigures] = defaultdict(DayFigures)
    for (_, day), figures in station_figures.items():
        network[day].add(figures)
    return dict(network)


def starts_by_day_hour(*, first: date, last: date, station_id: int | None = None) -> dict[date, list[int]]:
    """Session starts in each local hour of each day (of one station, or the network's)."""
    span = _Span(first, last)
    rows = span.started(Transaction.objects.all())
    if station_id is not None:
        rows = rows.filter(station_id=station_id)
    grouped = (
        rows.annotate(day=span.day("started_at"), hour=local_hour("started_at", span.offsets))
        .values("day", "hour")
        .annotate(count=Count("pk"))
        .order_by()
    )
    result: dict[date, list[int]] = {}
    for row in grouped:
        result.setdefault(day_of(row["day"]), [0] * 24)[row["hour"]] += row["count"]
    return result


class _Span:
    """Local days first..last as UTC bounds, with the zone's offsets over them (and a little beyond,
    where stops of the last day's sessions fall)."""

    def __init__(self, first: date, last: date):
        self.first, self.last = first, last
        self.start, self.end = day_start(first), day_start(last + timedelta(days=1))
        self.offsets = offsets(network_zone(), self.start - timedelta(days=1), self.end + timedelta(days=2))

    def day(self, column: str):
        return local_day_number(column, self.offsets)

    def started(self, rows):
        return rows.filter(started_at__gte=self.start, started_at__lt=self.end)


def _unindexed(column: str):
    """The column as an expression: grouping by it then does not lead SQLite to walk the column's
    index (a random read of every session of the year) instead of scanning the table once."""
    return F(column) + Value(0)


def _add_sessions(figures, span: _Span) -> None:
    same_day = Q(stopped_at__isnull=False) & Q(stop_day=F("start_day"))
    rows = (
        span.started(Transaction.objects.all())
        .annotate(
            start_day=span.day("started_at"), stop_day=span.day("stopped_at"), station_key=_unindexed("station_id")
        )
        .values("start_day", "station_key")
        .annotate(
            count=Count("pk"),
            energy=Sum(energy_wh_expression()),
            occupied=Sum(Epoch(F("stopped_at")) - Epoch(F("started_at")), filter=same_day),
        )
        .order_by()
    )
    for row in rows:
        day = figures[(row["station_key"], day_of(row["start_day"]))]
        day.sessions += row["count"]
        day.energy_wh += row["energy"] or 0
        day.occupied_seconds += row["occupied"] or 0


def _add_occupied(figures, span: _Span, now: datetime) -> None:
    """The occupied time of sessions over a midnight (or still running), split into their local days.

    Same-day sessions were summed in SQL; these are the few that remain (a running one ends now).
    """
    crossing = (
        Transaction.objects.filter(started_at__lt=span.end)
        .filter(Q(stopped_at__isnull=True, status=Transaction.Status.ACTIVE) | Q(stopped_at__gt=span.start))
        .annotate(start_day=span.day("started_at"), stop_day=span.day("stopped_at"))
        .exclude(Q(stopped_at__isnull=False) & Q(stop_day=F("start_day")))
        .values_list("station_id", "started_at", "stopped_at")
    )
    for station_id, started_at, stopped_at in crossing:
        for day, seconds in _split_by_day(started_at, min(stopped_at or now, now), span.first, span.last):
            figures[(station_id, day)].occupied_seconds += seconds


def _split_by_day(begin: datetime, finish: datetime, first: date, last: date):
    day = max(local_day(begin), first)
    while day <= last:
        low, high = max(begin, day_start(day)), min(finish, day_start(day + timedelta(days=1)))
        if low >= finish:
            return
        if high > low:
            yield day, int((high - low).total_seconds())
        day += timedelta(days=1)


def _add_revenue(figures, span: _Span) -> None:
    rows = (
        ChargeDetailRecord.objects.filter(transaction__started_at__gte=span.start, transaction__started_at__lt=span.end)
        .annotate(day=span.day("transaction__started_at"), station_key=_unindexed("transaction__station_id"))
        .values("day", "station_key", "currency")
        .annotate(amount=Sum("total_cost_excl_vat"))
        .order_by()
    )
    for row in rows:
        day = figures[(row["station_key"], day_of(row["day"]))]
        day.revenue[row["currency"]] = day.revenue.get(row["currency"], Decimal(0)) + row["amount"]


def revenue_of(stored: dict[str, str]) -> dict[str, Decimal]:
    """A stored revenue dict ({currency: amount string}) back as Decimals."""
    return {currency: Decimal(amount) for currency, amount in stored.items()}
