"""A year of network history for bench/dashboard.py: sessions, their sealed CDRs and status events.

Runs after `manage.py seed_station_map --prefix P` (the located stations, EVSEs and connectors
in mixed live statuses) against the same DATABASE_URL, and adds for P's stations:

* --sessions completed transactions over the past --days days, none overlapping on its
  connector, with energy and duration as AC and DC charging really go (AC cars park long after
  they are full), more by day than by night, and each priced in a sealed ChargeDetailRecord;
* a running session on every connector that is Charging now (kW, kWh, SoC, cost so far);
* Faulted and Unavailable episodes (each followed by Available) on the connectors, and the event
  that put each currently Faulted or Unavailable connector in that state, for uptime;
* a staff superuser for the bench to sign in as.

A million rows through the ORM take many minutes, so rows go in as plain tuples: executemany on
SQLite, COPY on PostgreSQL. Columns come from the models' own fields, and every field not named
here gets its model default, so a field added later (with a default) does not break the seeding.

    DATABASE_URL=sqlite:///var/x.sqlite3 python bench/dashboard_seed.py --prefix DASH- --sessions 1000000

It writes a JSON summary (row counts, seconds, the busiest city boxes for the map's city zoom)
to --summary, or prints it.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet import the project's apps

CHUNK = 20_000  # rows per executemany / COPY flush, and per generated batch of sessions
VAT = Decimal("1.19")
CENT = Decimal("0.0001")
# Euro per kWh incl. VAT, and for AC a parking fee per minute after PARKING_GRACE.
PRICE_AC, PRICE_DC, PARKING_PER_MINUTE = Decimal("0.49"), Decimal("0.69"), Decimal("0.05")
PARKING_GRACE = timedelta(hours=2)
DC_POWER_W = 50_000  # connectors this strong are DC: charge to ~80 % and leave
# Share of sessions starting in each hour of the day (local time is close enough to UTC + 1).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 8, 9, 8, 8, 9, 10, 11, 10, 8, 6, 4, 3, 2]
HOURS_CUMULATIVE = list(accumulate(HOUR_WEIGHTS))
FAULTS = ["GroundFailure", "OverCurrentFailure", "InternalError", "PowerMeterFailure", "ConnectorLockFailure"]
STOP_REASONS = [("EVDisconnected", 60), ("Local", 30), ("Remote", 8), ("PowerLoss", 2)]
BENCH_USER, BENCH_PASSWORD = "bench-admin", "bench-Admin-pass-1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="DASH-", help="the seed_station_map prefix of the stations")
    parser.add_argument("--sessions", type=int, default=1_000_000, help="completed sessions (default 1000000)")
    parser.add_argument("--days", type=int, default=365, help="how far back the history goes (default 365)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--summary", type=Path, help="write the JSON summary here (default: print it)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
    import django

    django.setup()
    summary = seed(prefix=args.prefix, sessions=args.sessions, days=args.days, seed=args.seed)
    text = json.dumps(summary, indent=2)
    if args.summary:
        args.summary.write_text(text + "\n")
    else:
        print(text)
    return 0


def seed(*, prefix: str, sessions: int, days: int, seed: int, now: datetime | None = None) -> dict:
    """Add the history to prefix's stations (replacing what an earlier run added); returns the summary."""
    from django.db import transaction

    from stations.models import Connector

    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    connectors = list(
        Connector.objects.filter(evse__station__charge_point_id__startswith=prefix).values_list(
            "pk", "evse__station_id", "max_power_w", "status"
        )
    )
    if not connectors:
        raise SystemExit(f"no connectors of stations {prefix}*: run manage.py seed_station_map first")
    timings: dict[str, float] = {}
    with transaction.atomic():
        started = time.monotonic()
        _refuse_reseeding(prefix)
        tags = _id_tags(prefix, count=max(100, sessions // 50))
        timings["id_tags_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        history = _history(rng, connectors, tags, sessions=sessions, days=days, now=now)
        timings["sessions_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        running = _running(rng, connectors, tags, now=now)
        events = _status_events(rng, connectors, days=days, now=now)
        timings["status_events_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    _analyze()
    timings["analyze_s"] = round(time.monotonic() - started, 1)
    _superuser()
    return {
        "prefix": prefix,
        "connectors": len(connectors),
        "sessions": history,
        "running_sessions": running,
        "charge_detail_records": history,
        "status_events": events,
        "id_tags": len(tags),
        "days": days,
        "seconds": timings,
        "city_boxes": city_boxes(prefix),
        "user": {"username": BENCH_USER, "password": BENCH_PASSWORD},
    }


# --------------------------------------------------------------- raw rows


class Table:
    """Plain-tuple inserts into one model's table, the fields named in `given` first in each row.

    Values are Python values (aware datetimes, Decimals, timedeltas, dicts for JSON); each
    database gets them as Django itself would store them. Fields not given take their default
    (auto_now fields: `now`).
    """

    def __init__(self, model, given: list[str], now: datetime):
        from django.db import connection

        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise SystemExit(f"seeding supports SQLite and PostgreSQL, not {self.vendor}")
        fields = {field.attname: field for field in model._meta.concrete_fields}
        rest = [field for name, field in fields.items() if name not in given and not field.primary_key]
        self.fields = [fields[name] for name in given] + rest
        self.table = model._meta.db_table
        convert = [self._converter(field) for field in self.fields]
        self.converters = [(index, fn) for index, fn in enumerate(convert[: len(given)]) if fn]
        self.tail = tuple(
            fn(value) if fn else value for fn, value in zip(convert[len(given) :], map(_default(now), rest))
        )

    def _converter(self, field) -> Callable | None:
        kind = field.get_internal_type()
        if kind == "JSONField":
            return json.dumps
        if self.vendor == "postgresql":
            return None  # psycopg's COPY adapts datetimes, Decimals, timedeltas and booleans itself
        if kind == "DateTimeField":
            # Django's own form on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]" (the offset cut off).
            return lambda value: None if value is None else value.astimezone(UTC).isoformat(" ")[:-6]
        if kind == "DecimalField":
            return lambda value: None if value is None else str(value)
        if kind == "DurationField":
            return lambda value: None if value is None else value // timedelta(microseconds=1)
        return None

    def insert(self, rows: Iterable[tuple]) -> int:
        """Write the rows in chunks; returns how many."""
        from django.db import connection

        columns = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        table = connection.ops.quote_name(self.table)
        count = 0
        for chunk in _chunks(map(self._row, rows), CHUNK):
            count += len(chunk)
            if self.vendor == "postgresql":
                connection.ensure_connection()
                with (
                    connection.connection.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in chunk:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                with connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", chunk)
        return count

    def _row(self, values: tuple) -> tuple:
        if self.converters:
            row = list(values)
            for index, fn in self.converters:
                row[index] = fn(row[index])
            values = tuple(row)
        return values + self.tail


def _default(now: datetime) -> Callable:
    def default(field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()

    return default


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --------------------------------------------------------------- the data


def _refuse_reseeding(prefix: str) -> None:
    """Deleting a million sessions through the ORM takes longer than seeding a fresh database (and
    seed_station_map cannot replace stations that have sessions): seed an empty one instead."""
    from sessions.models import Transaction

    if Transaction.objects.filter(station__charge_point_id__startswith=prefix).exists():
        raise SystemExit(f"stations {prefix}* already have sessions: seed a fresh database")


def _id_tags(prefix: str, count: int) -> list[tuple[int, str]]:
    """The drivers' cards, as (pk, id tag): a few thousand drivers make the year's sessions."""
    from sessions.models import IdTag

    tags = IdTag.objects.bulk_create(
        (IdTag(id_tag=f"{prefix}TAG{number:06d}") for number in range(1, count + 1)), batch_size=CHUNK
    )
    return [(tag.pk, tag.id_tag) for tag in tags]


def _history(rng, connectors, tags, *, sessions: int, days: int, now: datetime) -> int:
    """The completed sessions and their CDRs, generated connector by connector in bounded memory."""
    from django.db import connection
    from django.db.models import Max

    from billing.models import ChargeDetailRecord
    from sessions.models import Transaction

    transactions = Table(Transaction, TRANSACTION_FIELDS, now)
    cdrs = Table(ChargeDetailRecord, CDR_FIELDS, now)
    popularity = [min(8.0, rng.lognormvariate(0, 0.8)) for _ in connectors]
    per_connector = Counter(rng.choices(range(len(connectors)), popularity, k=sessions))
    next_id = (Transaction.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    window = (now - timedelta(days=days), now - timedelta(hours=3))  # the running sessions come after
    batch: list[tuple] = []
    for index, (connector_id, station_id, max_power_w, _status) in enumerate(connectors):
        for session in _connector_sessions(rng, per_connector[index], max_power_w, window):
            batch.append((next_id, station_id, connector_id, max_power_w >= DC_POWER_W, rng.choice(tags), *session))
            next_id += 1
        if len(batch) >= CHUNK:
            _write_history(rng, transactions, cdrs, batch)
            batch = []
    _write_history(rng, transactions, cdrs, batch)
    _reset_sequence(connection, Transaction)
    return sessions


def _connector_sessions(rng, count: int, max_power_w: int, window: tuple[datetime, datetime]) -> list[tuple]:
    """(start, stop, energy Wh, charging time, meter start) of `count` sessions that never overlap."""
    first, last = window
    days = (last - first).days
    starts = sorted(
        first.replace(hour=0, minute=0, second=0)
        + timedelta(days=rng.randrange(days), hours=_hour(rng), seconds=rng.randrange(3600))
        for _ in range(count)
    )
    register = rng.randrange(5_000_000)
    sessions = []
    for position, start in enumerate(starts):
        energy, charging, duration = _charge(rng, max_power_w)
        gap = (starts[position + 1] if position + 1 < len(starts) else last) - start - timedelta(minutes=5)
        if duration > gap:  # the next driver is waiting: unplugged early, charged less
            shortened = max(timedelta(minutes=5), gap)
            if charging > shortened:
                energy = int(energy * (shortened / charging))
                charging = shortened
            duration = shortened
        sessions.append((start, start + duration, energy, charging, register))
        register += energy
    return sessions


def _pick(rng, cumulative: list[float]) -> int:
    """An index drawn by cumulative weights: random.choices for one item, but several times faster."""
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _hour(rng) -> int:
    return _pick(rng, HOURS_CUMULATIVE)


def _charge(rng, max_power_w: int) -> tuple[int, timedelta, timedelta]:
    """(energy Wh, time charging, time plugged in) of one session at a connector of this power."""
    if rng.random() < 0.02:  # plugged in, nothing flowed: the alerts' "no consumption"
        return 0, timedelta(0), timedelta(minutes=rng.randint(2, 30))
    if max_power_w >= DC_POWER_W:
        power = min(max_power_w, rng.choice([50_000, 100_000, 150_000, 250_000])) * rng.uniform(0.45, 0.8)
        energy = rng.uniform(8_000, 70_000)
        charging = _seconds(energy / power * 3600)
        return int(energy), charging, charging + _seconds(rng.uniform(60, 600))
    power = min(max_power_w, rng.choice([3_700, 7_400, 11_000, 11_000, 22_000])) * rng.uniform(0.85, 0.98)
    energy = rng.uniform(4_000, 45_000)
    charging = _seconds(energy / power * 3600)
    parked = _seconds(min(14.0, rng.expovariate(1 / 1.5)) * 3600)
    return int(energy), charging, charging + parked


def _seconds(seconds: float) -> timedelta:
    """Whole seconds, as chargers report times."""
    return timedelta(seconds=round(seconds))


TRANSACTION_FIELDS = [
    "id",
    "station_id",
    "connector_id",
    "id_tag_id",
    "id_tag_value",
    "authorization_status",
    "status",
    "meter_start_wh",
    "meter_stop_wh",
    "last_meter_wh",
    "last_power_w",
    "last_soc_percent",
    "started_at",
    "stopped_at",
    "last_reading_at",
    "stop_reason",
    "cost_currency",
    "cost_excl_vat",
    "cost_incl_vat",
    "cost_priced_at",
    "cost_final",
    "created_at",
    "updated_at",
]
CDR_FIELDS = [
    "transaction_id",
    "currency",
    "start_date_time",
    "end_date_time",
    "total_energy_wh",
    "total_time",
    "total_parking_time",
    "total_cost_excl_vat",
    "total_cost_incl_vat",
    "total_energy_cost_excl_vat",
    "total_energy_cost_incl_vat",
    "total_parking_cost_excl_vat",
    "total_parking_cost_incl_vat",
    "total_fixed_cost_excl_vat",
    "total_fixed_cost_incl_vat",
    "total_time_cost_excl_vat",
    "total_time_cost_incl_vat",
    "total_reservation_cost_excl_vat",
    "total_reservation_cost_incl_vat",
    "tariff_snapshot",
    "charging_periods",
    "created_at",
]
ZERO = Decimal("0.0000")


def _write_history(rng, transactions: Table, cdrs: Table, batch: list[tuple]) -> None:
    rows, records = [], []
    reasons, weights = zip(*STOP_REASONS)
    reasons_cumulative = list(accumulate(weights))
    for pk, station_id, connector_id, dc, (tag_id, tag), start, stop, energy, charging, register in batch:
        energy_cost = (Decimal(energy) / 1000 * (PRICE_DC if dc else PRICE_AC)).quantize(CENT)
        parked = stop - start - charging
        billable_minutes = 0 if dc else max(0, int((parked - PARKING_GRACE) / timedelta(minutes=1)))
        parking_cost = (PARKING_PER_MINUTE * billable_minutes).quantize(CENT)
        total = energy_cost + parking_cost
        excl = (total / VAT).quantize(CENT)
        reason = reasons[_pick(rng, reasons_cumulative)]
        rows.append(
            (pk, station_id, connector_id, tag_id, tag, "Accepted", "completed", register, register + energy)
            + (register + energy, 0, None, start, stop, stop, reason, "EUR", excl, total, stop, True, start, stop)
        )
        periods = [{"start_date_time": start.isoformat(), "dimensions": [{"type": "ENERGY", "volume": energy / 1000}]}]
        records.append(
            (pk, "EUR", start, stop, energy, stop - start, parked, excl, total)
            + ((energy_cost / VAT).quantize(CENT), energy_cost, (parking_cost / VAT).quantize(CENT), parking_cost)
            + (ZERO,) * 6
            + ({}, periods, stop)
        )
    transactions.insert(rows)
    cdrs.insert(records)


def _running(rng, connectors, tags, *, now: datetime) -> int:
    """A session on every connector that is Charging now: kW, kWh and cost so far, not final."""
    from django.db import connection
    from django.db.models import Max

    from sessions.models import Transaction

    table = Table(Transaction, TRANSACTION_FIELDS, now)
    next_id = (Transaction.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    rows = []
    for connector_id, station_id, max_power_w, status in connectors:
        if status != "Charging":
            continue
        power = int(min(max_power_w, rng.choice([7_400, 11_000, 50_000, 150_000])) * rng.uniform(0.5, 0.95))
        start = now - timedelta(minutes=rng.randint(3, 150))
        energy = int(power * (now - start) / timedelta(hours=1) * rng.uniform(0.7, 1.0))
        register = rng.randrange(5_000_000)
        cost = (Decimal(energy) / 1000 * (PRICE_DC if max_power_w >= DC_POWER_W else PRICE_AC)).quantize(CENT)
        tag_id, tag = rng.choice(tags)
        reading = now - timedelta(seconds=rng.randint(0, 60))
        rows.append(
            (next_id, station_id, connector_id, tag_id, tag, "Accepted", "active", register, None, register + energy)
            + (power, rng.randint(10, 90), start, None, reading, "", "EUR", (cost / VAT).quantize(CENT), cost)
            + (reading, False, start, reading)
        )
        next_id += 1
    count = table.insert(rows)
    _reset_sequence(connection, Transaction)
    return count


def _status_events(rng, connectors, *, days: int, now: datetime) -> int:
    """Faulted/Unavailable episodes (about four a connector a year), and what put today's faulty connectors so."""
    from stations.models import StatusEvent

    given = ["station_id", "connector_id", "status", "previous_status", "error_code", "vendor_error_code"]
    table = Table(StatusEvent, [*given, "vendor_id", "timestamp", "station_timestamp", "received_at"], now)
    seconds = days * 86_400

    def rows() -> Iterator[tuple]:
        for connector_id, station_id, _power, status in connectors:
            for _ in range(_poisson(rng, 4 * days / 365)):
                start = now - timedelta(seconds=rng.randrange(seconds))
                end = min(now - timedelta(minutes=1), start + _seconds(rng.expovariate(1 / 6) * 3600))
                yield _status_row(rng, station_id, connector_id, "Available", _fault(rng), start)
                yield _status_row(rng, station_id, connector_id, "", ("Available", "NoError"), end)
            if status in ("Faulted", "Unavailable"):
                since = now - timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                error = _fault(rng) if status == "Faulted" else ("Unavailable", "NoError")
                yield _status_row(rng, station_id, connector_id, "Available", error, since)

    return table.insert(rows())


def _fault(rng) -> tuple[str, str]:
    return ("Faulted", rng.choice(FAULTS)) if rng.random() < 0.7 else ("Unavailable", "NoError")


def _status_row(rng, station_id, connector_id, previous, status_and_error, at: datetime) -> tuple:
    status, error = status_and_error
    previous = previous or ("Faulted" if rng.random() < 0.7 else "Unavailable")
    vendor = f"E{rng.randint(100, 999)}" if status == "Faulted" else ""
    return (station_id, connector_id, status, previous, error, vendor, "Bench" if vendor else "", at, at, at)


def _poisson(rng, mean: float) -> int:
    """Knuth's method: fine for the small means here."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _reset_sequence(connection, model) -> None:
    """Explicit primary keys leave PostgreSQL's sequence behind; the next ORM insert must not collide."""
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(statement)


def _analyze() -> None:
    """Fresh statistics for the planners (PostgreSQL's autovacuum would take a while; SQLite has none)."""
    from django.db import connection

    from billing.models import ChargeDetailRecord
    from sessions.models import IdTag, Transaction
    from stations.models import StatusEvent

    with connection.cursor() as cursor:
        for model in (Transaction, ChargeDetailRecord, StatusEvent, IdTag):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _superuser() -> None:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"email": "bench@example.com"})
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(BENCH_PASSWORD)
    user.save()


def city_boxes(prefix: str, count: int = 5, width: float = 0.2, height: float = 0.12) -> list[dict]:
    """The `count` boxes of width × height degrees (a city at zoom 12) holding the most of prefix's stations.

    seed_station_map crowds stations around random centres, so a fixed city (Berlin) might be
    empty; the busiest boxes are what an operator's city view is like.
    """
    from stations.models import Location

    points = sorted(
        (float(lon), float(lat))
        for lon, lat in Location.objects.filter(stations__charge_point_id__startswith=prefix).values_list(
            "longitude", "latitude"
        )
    )
    longitudes = [lon for lon, _ in points]
    cells = Counter((int(lon / width * 2), int(lat / height * 2)) for lon, lat in points)  # half-box grid
    boxes: list[dict] = []
    for (x, y), _ in cells.most_common():
        lon, lat = (x + 0.5) * width / 2, (y + 0.5) * height / 2
        box = (lon - width / 2, lat - height / 2, lon + width / 2, lat + height / 2)
        if any(abs(lon - other["centre"][0]) < width and abs(lat - other["centre"][1]) < height for other in boxes):
            continue  # overlaps a busier one
        low, high = bisect.bisect_left(longitudes, box[0]), bisect.bisect_right(longitudes, box[2])
        inside = sum(1 for _, plat in points[low:high] if box[1] <= plat <= box[3])
        boxes.append(
            {"bbox": ",".join(f"{v:.4f}" for v in box), "centre": (round(lon, 4), round(lat, 4)), "stations": inside}
        )
        if len(boxes) == count:
            break
    return boxes


if __name__ == "__main__":
    raise SystemExit(main())
