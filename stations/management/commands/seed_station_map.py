"""Seed a map of located stations for the station-search benchmark and for trying the app's map.

Stations crowd around cities as real networks do (and a third are spread
evenly), with a realistic mix of plugs, power and live status. Rows are
bulk-inserted: 10,000 stations take seconds, not minutes.
"""

import random

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from stations.models import ChargingStation, Connector, ConnectorFormat, ConnectorType, Evse, Location, PowerType

# (standard, format, power type, max power W), weighted as a European network: mostly AC Type 2.
PLUGS = [
    ((ConnectorType.TYPE2, ConnectorFormat.SOCKET, PowerType.AC_3_PHASE, 11_000), 30),
    ((ConnectorType.TYPE2, ConnectorFormat.SOCKET, PowerType.AC_3_PHASE, 22_000), 30),
    ((ConnectorType.TYPE2_CABLE, ConnectorFormat.CABLE, PowerType.DC, 150_000), 20),
    ((ConnectorType.TYPE2_CABLE, ConnectorFormat.CABLE, PowerType.DC, 300_000), 8),
    ((ConnectorType.CHADEMO, ConnectorFormat.CABLE, PowerType.DC, 50_000), 7),
    ((ConnectorType.DOMESTIC_F, ConnectorFormat.SOCKET, PowerType.AC_1_PHASE, 3_700), 5),
]
STATUSES = [("Available", 55), ("Charging", 25), ("Preparing", 5), ("Faulted", 5), ("Unavailable", 5), ("", 5)]
BATCH = 2_000


class Command(BaseCommand):
    help = "Create N located stations <prefix>00001.. in a box (replacing earlier ones with the prefix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--prefix", default="MAP-")
        parser.add_argument(
            "--box", default="5.9,47.3,15.0,55.0", help="min_lon,min_lat,max_lon,max_lat (default: Germany)"
        )
        parser.add_argument("--cities", type=int, default=40, help="centres the stations crowd around")
        parser.add_argument("--online", type=float, default=0.85, help="share of stations connected")
        parser.add_argument("--seed", type=int, default=1)

    def handle(
        self, *args, count: int, prefix: str, box: str, cities: int, online: float, seed: int, **options
    ) -> None:
        rng = random.Random(seed)
        bounds = [float(part) for part in box.split(",")]
        centres = [_uniform(rng, bounds) for _ in range(cities)]
        with transaction.atomic():
            _remove(prefix)
            for start in range(0, count, BATCH):
                numbers = range(start + 1, min(count, start + BATCH) + 1)
                _create(rng, prefix, numbers, [_place(rng, bounds, centres) for _ in numbers], online)
        _analyze()
        self.stdout.write(f"{count} station(s) seeded with prefix {prefix}")


def _remove(prefix: str) -> None:
    stations = ChargingStation.objects.filter(charge_point_id__startswith=prefix)
    Location.objects.filter(stations__in=stations).delete()
    stations.delete()


def _analyze() -> None:
    """Tell the query planner about the new rows now: PostgreSQL's autovacuum would take a while, and
    until then it plans the search's EXISTS subqueries as if the tables were empty (seconds per query)."""
    with connection.cursor() as cursor:
        for model in (Location, ChargingStation, Evse, Connector):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _uniform(rng: random.Random, bounds: list[float]) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = bounds
    return rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)


def _place(rng: random.Random, bounds: list[float], centres: list[tuple[float, float]]) -> tuple[float, float]:
    """Two thirds near a city (about 10 km spread), the rest anywhere in the box."""
    if rng.random() < 1 / 3:
        return _uniform(rng, bounds)
    latitude, longitude = rng.choice(centres)
    min_lon, min_lat, max_lon, max_lat = bounds
    return (
        min(max_lat, max(min_lat, rng.gauss(latitude, 0.1))),
        min(max_lon, max(min_lon, rng.gauss(longitude, 0.15))),
    )


def _create(rng: random.Random, prefix: str, numbers: range, places: list[tuple[float, float]], online: float) -> None:
    locations = Location.objects.bulk_create(
        Location(
            name=f"Site {number}",
            address=f"Street {number}",
            city="Bench",
            postal_code=f"{number % 100000:05d}",
            latitude=round(latitude, 6),
            longitude=round(longitude, 6),
        )
        for number, (latitude, longitude) in zip(numbers, places)
    )
    stations = ChargingStation.objects.bulk_create(
        ChargingStation(
            charge_point_id=f"{prefix}{number:05d}",
            location=location,
            connection_channel="seeded" if rng.random() < online else "",
        )
        for number, location in zip(numbers, locations)
    )
    evses = Evse.objects.bulk_create(
        Evse(station=station, number=n) for station in stations for n in range(1, rng.choice([1, 2, 2, 2, 4]) + 1)
    )
    Connector.objects.bulk_create(_connector(rng, evse) for evse in evses)


def _connector(rng: random.Random, evse: Evse) -> Connector:
    ((standard, format_, power_type, power),) = rng.choices([plug for plug, _ in PLUGS], [w for _, w in PLUGS])
    (status,) = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])
    return Connector(
        evse=evse, standard=standard, format=format_, power_type=power_type, max_power_w=power, status=status
    )
