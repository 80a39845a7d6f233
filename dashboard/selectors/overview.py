"""The overview's figures: the network now (read live), and today, this month and 30 days (from the rollups).

"Now" follows the station list's reading of a station (stations.selectors.status.station_state): a
station is online while a socket is recorded for it (a socket of a process that died counts until
the sweep clears it, within OCPP_PROCESS_TTL); charging when online, not down as a whole and one of
its connectors is Charging or suspended in a session; faulted when online and connector 0 or any
connector is Faulted (unlike the map's colour, one faulted connector of several counts: it needs a
technician). kW now is the sum of the latest Power.Active.Import reading of each running
transaction (Transaction.last_power_w); a transaction whose charger reports no power adds nothing.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from dashboard.models import NetworkDay
from dashboard.selectors.rollups import local_day, revenue_of
from dashboard.selectors.uptime import Uptime
from sessions.models import Transaction
from stations.models import ChargingStation, Connector, ConnectorStatus, Location, RegistrationStatus

UPTIME_DAYS = 30
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class NetworkNow:
    stations: int
    online: int
    charging: int
    faulted: int
    sessions_in_progress: int
    power_w: int

    @property
    def offline(self) -> int:
        return self.stations - self.online

    @property
    def online_percent(self) -> float | None:
        return round(100 * self.online / self.stations, 1) if self.stations else None


@dataclass(frozen=True)
class Totals:
    energy_wh: int
    revenue: dict[str, Decimal]


def network_now() -> NetworkNow:
    """Counted in two grouped queries, whatever the number of stations."""
    online = ~Q(connection_channel="")
    usable = online & ~Q(status__in=ConnectorStatus.out_of_service())
    # A session runs there: a 1.6 connector says Charging or Suspended, a 2.0.1 one only Occupied.
    charging = Transaction.objects.filter(station=OuterRef("pk"), status=Transaction.Status.ACTIVE)
    faulted = Connector.objects.filter(evse__station=OuterRef("pk"), status=ConnectorStatus.FAULTED)
    counts = ChargingStation.objects.filter(registration_status=RegistrationStatus.ACCEPTED).aggregate(
        stations=Count("pk"),
        online=Count("pk", filter=online),
        charging=Count("pk", filter=usable & Q(Exists(charging))),
        faulted=Count("pk", filter=online & (Q(status=ConnectorStatus.FAULTED) | Q(Exists(faulted)))),
    )
    running = running_transactions().aggregate(count=Count("pk"), power=Sum("last_power_w"))
    return NetworkNow(**counts, sessions_in_progress=running["count"], power_w=running["power"] or 0)


def running_transactions():
    """Running transactions, found through the (station, status) index: one probe per station beats
    scanning a year of sessions for the few active ones (Transaction has no index on status alone)."""
    return Transaction.objects.filter(
        station_id__in=ChargingStation.objects.values("pk"), status=Transaction.Status.ACTIVE
    )


def totals(*, first: date, last: date) -> Totals:
    """Energy and sealed revenue of the sessions started on the local days first..last."""
    days = NetworkDay.objects.filter(day__gte=first, day__lte=last)
    energy = days.aggregate(energy=Sum("energy_wh"))["energy"] or 0
    revenue: dict[str, Decimal] = {}
    for stored in days.values_list("revenue", flat=True):
        for currency, amount in revenue_of(stored).items():
            revenue[currency] = revenue.get(currency, Decimal(0)) + amount
    return Totals(energy_wh=energy, revenue=revenue)


def uptime(*, first: date, last: date) -> Uptime:
    sums = NetworkDay.objects.filter(day__gte=first, day__lte=last).aggregate(
        port=Sum("port_seconds"), up=Sum("up_seconds")
    )
    return Uptime(port_seconds=sums["port"] or 0, up_seconds=sums["up"] or 0)


@dataclass(frozen=True)
class Figures:
    now: NetworkNow
    today: Totals
    month: Totals
    uptime_30d: Uptime


def overview_figures(*, now: datetime | None = None) -> Figures:
    today = local_day(now or timezone.now())
    return Figures(
        now=network_now(),
        today=totals(first=today, last=today),
        month=totals(first=today.replace(day=1), last=today),
        uptime_30d=uptime(first=today - timedelta(days=UPTIME_DAYS - 1), last=today),
    )


@dataclass(frozen=True)
class SiteLoad:
    location_id: int
    name: str
    power_w: int
    limit_w: int

    @property
    def percent(self) -> float:
        return round(100 * self.power_w / self.limit_w, 1) if self.limit_w else 0.0


def sites_with_power_limit() -> list[SiteLoad]:
    """Each site with a grid limit: the latest power of its running transactions against it."""
    limited = Location.objects.filter(max_power_w__isnull=False).order_by("name", "pk")
    power = dict(
        running_transactions()
        .filter(station__location__max_power_w__isnull=False)
        .values_list("station__location_id")
        .annotate(power=Sum("last_power_w"))
        .order_by()
    )
    return [
        SiteLoad(location_id=pk, name=name, power_w=power.get(pk) or 0, limit_w=limit)
        for pk, name, limit in limited.values_list("pk", "name", "max_power_w")
    ]


@dataclass(frozen=True)
class ProblemStation:
    station_id: int
    charge_point_id: str
    since: datetime | None
    problem: str  # "offline" or "faulted"


def recent_problem_stations(*, limit: int = 10) -> list[ProblemStation]:
    """The stations that went offline or Faulted most recently, newest first."""
    accepted = ChargingStation.objects.filter(registration_status=RegistrationStatus.ACCEPTED)
    offline = accepted.filter(connection_channel="").order_by(F("disconnected_at").desc(nulls_last=True), "pk")[:limit]
    faulted_connector = Connector.objects.filter(evse__station=OuterRef("pk"), status=ConnectorStatus.FAULTED)
    faulted = (
        accepted.exclude(connection_channel="")
        .filter(Q(status=ConnectorStatus.FAULTED) | Q(Exists(faulted_connector)))
        .annotate(
            since=Coalesce(
                Subquery(faulted_connector.order_by("-status_updated_at").values("status_updated_at")[:1]),
                "status_updated_at",
            )
        )
        .order_by(F("since").desc(nulls_last=True), "pk")[:limit]
    )
    found = [
        *(ProblemStation(*row, "offline") for row in offline.values_list("pk", "charge_point_id", "disconnected_at")),
        *(ProblemStation(*row, "faulted") for row in faulted.values_list("pk", "charge_point_id", "since")),
    ]
    return sorted(found, key=lambda p: p.since or NEVER, reverse=True)[:limit]
