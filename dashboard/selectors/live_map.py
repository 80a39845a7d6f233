"""What the live map shows: each located station's state, in the view, one by one or counted per grid cell.

The map's five states, decided once in `station_state()` (an SQL expression, so
10,000 stations are judged and counted by the database, not in Python):

- offline: no socket; also a connected station nobody can charge at that is not
  broken (connector 0 Unavailable, every connector Unavailable, or nothing
  reported yet) — grey, "nothing to be had here", not red.
- faulted: the station (connector 0) or any of its connectors Faulted — red.
- charging: every usable connector taken: a vehicle at it (`ConnectorStatus.in_use()`:
  Preparing, Charging, SuspendedEV/EVSE, Finishing, 2.0.1's Occupied) or Reserved
  for someone — nobody else can start here now.
- partly: some usable connectors taken, some Available.
- available: online and every usable connector Available.
"Usable" leaves out connectors that are Unavailable or have reported nothing.

Registration: operators see Accepted and Pending stations (a Pending one is a
charger waiting for their decision, on its site); Rejected ones are not on the
network and are left out.

Clusters are the drivers' map grid (`stations.selectors.search.grid`), counted
per cell *and* state in one GROUP BY, and coloured by their worst state:
faulted > offline > charging > partly > available (what needs a human first).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from sessions.models import Transaction
from stations.models import ChargingStation, Connector, ConnectorStatus, RegistrationStatus
from stations.selectors.search import BoundingBox, grid

ON_THE_MAP = (RegistrationStatus.ACCEPTED, RegistrationStatus.PENDING)
STATIONS_FROM_ZOOM = 15  # cells of ~190 m and smaller: show every station, not clusters
MAX_POINTS = 1_000  # markers per answer; a view holding more is answered in clusters
TAKEN = ConnectorStatus.in_use() | {ConnectorStatus.RESERVED}


class MapState(StrEnum):
    AVAILABLE = "available"
    CHARGING = "charging"
    PARTLY = "partly"
    FAULTED = "faulted"
    OFFLINE = "offline"


WORST_FIRST = (MapState.FAULTED, MapState.OFFLINE, MapState.CHARGING, MapState.PARTLY, MapState.AVAILABLE)


def _has_connector(statuses) -> Exists:
    return Exists(Connector.objects.filter(evse__station=OuterRef("pk"), status__in=sorted(statuses)))


def station_state() -> Case:
    """THE map state of a station row (see the module's docstring); annotate a ChargingStation queryset with it."""
    taken, free = _has_connector(TAKEN), _has_connector({ConnectorStatus.AVAILABLE})
    return Case(
        When(connection_channel="", then=Value(MapState.OFFLINE.value)),
        When(
            Q(status=ConnectorStatus.FAULTED) | _has_connector({ConnectorStatus.FAULTED}),
            then=Value(MapState.FAULTED.value),
        ),
        When(status=ConnectorStatus.UNAVAILABLE, then=Value(MapState.OFFLINE.value)),
        When(taken & free, then=Value(MapState.PARTLY.value)),
        When(taken, then=Value(MapState.CHARGING.value)),
        When(free, then=Value(MapState.AVAILABLE.value)),
        default=Value(MapState.OFFLINE.value),
        output_field=CharField(),
    )


def worst(counts: dict[str, int]) -> MapState:
    return next(state for state in WORST_FIRST if counts.get(state, 0))


# ------------------------------------------------------------------ the data endpoint


@dataclass(frozen=True)
class StationPoint:
    id: int
    charge_point_id: str
    latitude: float
    longitude: float
    state: str


@dataclass
class ClusterPoint:
    latitude: float
    longitude: float
    count: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MapState, 0))

    @property
    def worst(self) -> MapState:
        return worst(self.states)


@dataclass(frozen=True)
class MapView:
    zoom: int  # the grid's zoom (lower than asked when the box is too large for it)
    stations: list[StationPoint]
    clusters: list[ClusterPoint]

    @property
    def states(self) -> dict[str, int]:
        """Stations in view per state, for the legend."""
        totals = dict.fromkeys(MapState, 0)
        for station in self.stations:
            totals[MapState(station.state)] += 1
        for cluster in self.clusters:
            for state, count in cluster.states.items():
                totals[state] += count
        return {state.value: count for state, count in totals.items()}


def _in_view(box: BoundingBox) -> QuerySet[ChargingStation]:
    return ChargingStation.objects.filter(box.contains(), registration_status__in=ON_THE_MAP)


def map_view(*, box: BoundingBox, zoom: int) -> MapView:
    """The stations in the box one by one at street zoom (up to MAX_POINTS), else clusters per grid cell,
    where a cell that holds one station is that station."""
    with _without_jit():
        if zoom >= STATIONS_FROM_ZOOM:
            stations = _stations(box, limit=MAX_POINTS + 1)
            if len(stations) <= MAX_POINTS:
                return MapView(zoom=zoom, stations=stations, clusters=[])
        return _clustered(box, zoom)


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL costs the state's EXISTS subqueries per row (it then runs them hashed, once each), so the
    country's GROUP BY looks expensive enough to JIT-compile: ~0.5 s of compiling for ~0.1 s of work. Turned
    off for this read only; other databases have no JIT."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _stations(box: BoundingBox, *, limit: int) -> list[StationPoint]:
    stations = _in_view(box)
    rows = (
        stations.annotate(state=station_state())
        .values_list("pk", "charge_point_id", "location__latitude", "location__longitude", "state")
        .order_by("pk")[:limit]
    )
    return [StationPoint(pk, cpid, float(lat), float(lon), state) for pk, cpid, lat, lon, state in rows]


def _clustered(box: BoundingBox, zoom: int) -> MapView:
    """One row per (cell, state) from the database; cells are assembled here (a few hundred rows at most)."""
    cells = grid(zoom=zoom, box=box, max_cells=MAX_POINTS)
    latitude = Cast("location__latitude", FloatField())
    longitude = Cast("location__longitude", FloatField())
    stations = _in_view(box)
    rows = (
        stations.annotate(**cells.cell_of_location(), state=station_state())
        .values("cell_x", "cell_y", "state")
        .annotate(
            count=Count("pk"),
            latitude=Avg(latitude),
            longitude=Avg(longitude),
            first_id=Min("pk"),
            first_charge_point_id=Min("charge_point_id"),
        )
        .order_by()
    )
    groups: dict[tuple[int, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["cell_x"], row["cell_y"]), []).append(row)
    stations, clusters = [], []
    for key in sorted(groups):
        group = groups[key]
        if len(group) == 1 and group[0]["count"] == 1:
            stations.append(_single(group[0]))
        else:
            clusters.append(_cluster(group))
    return MapView(zoom=cells.zoom, stations=stations, clusters=clusters)


def _single(row: dict) -> StationPoint:
    return StationPoint(
        row["first_id"],
        row["first_charge_point_id"],
        round(row["latitude"], 6),
        round(row["longitude"], 6),
        row["state"],
    )


def _cluster(group: list[dict]) -> ClusterPoint:
    """A cell's rows, one per state: counts added up, the centre weighted by each state's count."""
    total = sum(row["count"] for row in group)
    cluster = ClusterPoint(
        latitude=round(sum(row["latitude"] * row["count"] for row in group) / total, 6),
        longitude=round(sum(row["longitude"] * row["count"] for row in group) / total, 6),
        count=total,
    )
    for row in group:
        cluster.states[MapState(row["state"])] += row["count"]
    return cluster


def network_extent() -> tuple[float, float, float, float] | None:
    """min_lon, min_lat, max_lon, max_lat of the located stations on the map: where the map opens."""
    box = (
        ChargingStation.objects.filter(registration_status__in=ON_THE_MAP, location__isnull=False)
        .aggregate(
            min_lon=Min("location__longitude"),
            min_lat=Min("location__latitude"),
            max_lon=Max("location__longitude"),
            max_lat=Max("location__latitude"),
        )
        .values()
    )
    min_lon, min_lat, max_lon, max_lat = box
    if min_lon is None:
        return None
    return float(min_lon), float(min_lat), float(max_lon), float(max_lat)


# ------------------------------------------------------------------ the popup


@dataclass(frozen=True)
class ConnectorLine:
    evse_number: int
    number: int
    standard: str
    max_power_kw: float
    status: str
    error_code: str
    vendor_error_code: str
    transaction_id: int | None
    power_kw: float | None  # the running session's last reported power


@dataclass(frozen=True)
class StationPopup:
    station: ChargingStation
    state: str
    connectors: list[ConnectorLine]

    @property
    def power_kw(self) -> float | None:
        """What the station draws now over its running sessions; None when nothing runs or nothing was reported."""
        powers = [line.power_kw for line in self.connectors if line.power_kw is not None]
        return round(sum(powers), 1) if powers else None


def station_popup(*, station_id: int) -> StationPopup | None:
    stations = ChargingStation.objects.filter(pk=station_id, registration_status__in=ON_THE_MAP)
    station = stations.select_related("location").annotate(map_state=station_state()).first()
    if station is None:
        return None
    running = {
        connector_id: (pk, power_w)
        for pk, connector_id, power_w in Transaction.objects.filter(
            station_id=station_id, status=Transaction.Status.ACTIVE
        ).values_list("pk", "connector_id", "last_power_w")
    }
    connectors = (
        Connector.objects.filter(evse__station_id=station_id).select_related("evse").order_by("evse__number", "number")
    )
    return StationPopup(
        station, station.map_state, [_line(connector, running.get(connector.pk)) for connector in connectors]
    )


def _line(connector: Connector, running: tuple[int, int | None] | None) -> ConnectorLine:
    transaction_id, power_w = running if running else (None, None)
    return ConnectorLine(
        evse_number=connector.evse.number,
        number=connector.number,
        standard=connector.get_standard_display(),
        max_power_kw=connector.max_power_w / 1000,
        status=connector.status,
        error_code=connector.error_code,
        vendor_error_code=connector.vendor_error_code,
        transaction_id=transaction_id,
        power_kw=None if power_w is None else round(power_w / 1000, 1),
    )
