"""Finding stations: near a point, nearest first, or counted per map cell; filtered by their connectors."""

import math
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, FloatField, Min, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Abs, Cast, Floor, Least

from stations.models import ChargingStation, Connector, ConnectorStatus, RegistrationStatus

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG), as haversine distances commonly use
KM_PER_DEGREE = EARTH_RADIUS_M / 1000 * math.pi / 180
CELLS_PER_TILE = 4  # a map tile (256 px) is split into 4 × 4 cells of 64 px
MAX_CELLS = 10_000


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class ConnectorFilter:
    """Stations qualify through one connector that meets every condition given."""

    standards: tuple[str, ...] = ()  # OCPI ConnectorType values; empty: any
    min_power_w: int = 0
    available_only: bool = False  # that connector is Available on an online, usable station


def listed_stations() -> QuerySet[ChargingStation]:
    """Stations drivers may see: accepted, with EVSEs and connectors ready to serialize."""
    return (
        ChargingStation.objects.filter(registration_status=RegistrationStatus.ACCEPTED)
        .select_related("location")
        .prefetch_related("evses__connectors")
    )


def listed_station(*, charge_point_id: str) -> ChargingStation | None:
    return listed_stations().filter(charge_point_id=charge_point_id).first()


def search_stations(*, origin: GeoPoint, radius_km: float, connectors: ConnectorFilter) -> QuerySet[ChargingStation]:
    """Located stations within radius_km of origin, nearest first, sorted in SQL.

    A bounding box narrows the rows through the (latitude, longitude) index;
    an equirectangular approximation (plain arithmetic, so SQLite and
    PostgreSQL both run it without PostGIS) filters by radius and sorts. Its
    error stays well under 1% at 500 km; `haversine_m` gives exact distances.
    """
    approx = _approx_distance_deg_sq(origin)
    limit = (radius_km / KM_PER_DEGREE) ** 2
    return (
        listed_stations()
        .filter(_bounding_box(origin, radius_km), _matching(connectors))
        .alias(approx_deg_sq=approx)
        .filter(approx_deg_sq__lte=limit)
        .order_by("approx_deg_sq", "pk")
    )


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _bounding_box(origin: GeoPoint, radius_km: float) -> Q:
    """Every point within the radius, as latitude and longitude ranges (split at ±180°)."""
    angle = radius_km / KM_PER_DEGREE
    box = Q(
        location__latitude__gte=max(-90.0, origin.latitude - angle),
        location__latitude__lte=min(90.0, origin.latitude + angle),
    )
    if abs(origin.latitude) + angle >= 90:  # the circle holds a pole: every longitude
        return box
    # The widest longitude span of a circle on a sphere, not radius / cos(latitude).
    span = math.degrees(math.asin(min(1.0, math.sin(math.radians(angle)) / math.cos(math.radians(origin.latitude)))))
    west, east = origin.longitude - span, origin.longitude + span
    if west < -180:
        return box & (Q(location__longitude__gte=west + 360) | Q(location__longitude__lte=east))
    if east > 180:
        return box & (Q(location__longitude__gte=west) | Q(location__longitude__lte=east - 360))
    return box & Q(location__longitude__gte=west, location__longitude__lte=east)


def _approx_distance_deg_sq(origin: GeoPoint):
    """Squared distance in degrees of latitude: x = Δlon·cos(mean latitude), y = Δlat.

    cos(mean latitude) is expanded to first order around the origin
    (cos φ0 − sin φ0·Δφ/2), which keeps it arithmetic yet accurate far from
    the origin's parallel; Δlon takes the short way round the antimeridian.
    """
    latitude = Cast("location__latitude", FloatField())
    longitude = Cast("location__longitude", FloatField())
    phi = math.radians(origin.latitude)
    dlat = latitude - Value(origin.latitude)
    raw_dlon = Abs(longitude - Value(origin.longitude))
    dlon = Least(raw_dlon, Value(360.0) - raw_dlon)
    scale = Value(math.cos(phi)) - Value(math.sin(phi) * math.pi / 360) * dlat
    x = dlon * scale
    return x * x + dlat * dlat


def _matching(connectors: ConnectorFilter) -> Q:
    query = Q()
    if connectors.standards or connectors.min_power_w:
        query &= Q(Exists(_matching_connectors(connectors)))
    if connectors.available_only:
        query &= _available(connectors)
    return query


def _matching_connectors(connectors: ConnectorFilter) -> QuerySet[Connector]:
    matching = Connector.objects.filter(evse__station=OuterRef("pk"), max_power_w__gte=connectors.min_power_w)
    return matching.filter(standard__in=connectors.standards) if connectors.standards else matching


def _available(connectors: ConnectorFilter) -> Q:
    """A station a driver can use now: online, not down as a whole, a matching connector Available.

    The SQL twin of `ocpi_evse_status` giving AVAILABLE for one of its EVSEs (it judges connectors
    alone: an EVSE with one connector Available and another in use counts here, though OCPP 2.0.1
    stations report the idle one Unavailable while the other charges).
    """
    free = _matching_connectors(connectors).filter(status=ConnectorStatus.AVAILABLE)
    return ~Q(connection_channel="") & ~Q(status__in=ConnectorStatus.out_of_service()) & Q(Exists(free))


def _unknown() -> Q:
    """Offline, or online without any connector status reported yet: all its EVSEs are UNKNOWN."""
    known = Connector.objects.filter(evse__station=OuterRef("pk")).exclude(status="")
    return Q(connection_channel="") | (~Q(Exists(known)) & ~Q(status__in=ConnectorStatus.out_of_service()))


# ------------------------------------------------------------------ clusters


@dataclass(frozen=True)
class BoundingBox:
    """A map's view; min_longitude > max_longitude when it crosses the antimeridian."""

    min_longitude: float
    min_latitude: float
    max_longitude: float
    max_latitude: float

    @property
    def width(self) -> float:
        """Degrees of longitude covered, eastwards from min to max."""
        span = self.max_longitude - self.min_longitude
        return span if span >= 0 else span + 360

    def contains(self) -> Q:
        latitude = Q(location__latitude__gte=self.min_latitude, location__latitude__lte=self.max_latitude)
        if self.min_longitude <= self.max_longitude:
            return latitude & Q(
                location__longitude__gte=self.min_longitude, location__longitude__lte=self.max_longitude
            )
        return latitude & (
            Q(location__longitude__gte=self.min_longitude) | Q(location__longitude__lte=self.max_longitude)
        )


@dataclass(frozen=True)
class Grid:
    """Square cells on a web-mercator map at one zoom, anchored at (-180°, -90°) so they stay put while panning."""

    zoom: int
    cell_longitude: float
    cell_latitude: float

    def cell_count(self, box: BoundingBox) -> int:
        columns = math.floor(box.width / self.cell_longitude) + 1
        rows = math.floor((box.max_latitude - box.min_latitude) / self.cell_latitude) + 1
        return columns * rows

    def cell_of_location(self) -> dict[str, Floor]:
        """A station's cell as SQL: `.annotate(**grid.cell_of_location()).values("cell_x", "cell_y")`."""
        latitude = Cast("location__latitude", FloatField())
        longitude = Cast("location__longitude", FloatField())
        return {
            "cell_x": Floor((longitude + 180.0) / self.cell_longitude),
            "cell_y": Floor((latitude + 90.0) / self.cell_latitude),
        }


@dataclass(frozen=True)
class Cluster:
    count: int
    latitude: float
    longitude: float
    available: int
    busy: int
    unknown: int
    charge_point_id: str | None  # when the cell holds one station


def grid(*, zoom: int, box: BoundingBox, max_cells: int = MAX_CELLS) -> Grid:
    """Cells of 64 px at this zoom, or at the closest lower zoom that keeps the box within max_cells
    (a client asking a country at street level gets an answer, not a million cells).

    A degree of latitude is drawn 1/cos(latitude) taller than one of longitude,
    so cells are that much shorter in degrees (at the box's centre, in whole
    degrees: panning a little keeps the same cells).
    """
    centre = round((box.min_latitude + box.max_latitude) / 2)
    squash = max(math.cos(math.radians(centre)), 0.05)
    while zoom > 0 and _grid_at(zoom, squash).cell_count(box) > max_cells:
        zoom -= 1
    return _grid_at(zoom, squash)


def _grid_at(zoom: int, squash: float) -> Grid:
    cell_longitude = 360 / 2**zoom / CELLS_PER_TILE
    return Grid(zoom, cell_longitude, cell_longitude * squash)


def station_clusters(*, box: BoundingBox, zoom: int, connectors: ConnectorFilter) -> tuple[int, list[Cluster]]:
    """Located stations in the box, counted per grid cell by GROUP BY in the database; and the zoom used."""
    cells = grid(zoom=zoom, box=box)
    latitude = Cast("location__latitude", FloatField())
    longitude = Cast("location__longitude", FloatField())
    rows = (
        ChargingStation.objects.filter(registration_status=RegistrationStatus.ACCEPTED)
        .filter(box.contains(), _matching(connectors))
        .annotate(**cells.cell_of_location())
        .values("cell_x", "cell_y")
        .annotate(
            count=Count("pk"),
            centre_latitude=Avg(latitude),
            centre_longitude=Avg(longitude),
            available=Count("pk", filter=_available(connectors)),
            unknown=Count("pk", filter=_unknown()),
            first_station=Min("charge_point_id"),
        )
        .order_by("cell_y", "cell_x")
    )
    return cells.zoom, [_cluster(row) for row in rows]


def _cluster(row: dict) -> Cluster:
    return Cluster(
        count=row["count"],
        latitude=round(row["centre_latitude"], 6),
        longitude=round(row["centre_longitude"], 6),
        available=row["available"],
        busy=row["count"] - row["available"] - row["unknown"],
        unknown=row["unknown"],
        charge_point_id=row["first_station"] if row["count"] == 1 else None,
    )
