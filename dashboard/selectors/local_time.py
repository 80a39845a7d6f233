"""Local days and hours of timestamp columns in plain SQL arithmetic, fast on SQLite and PostgreSQL.

Django's TruncDate/ExtractHour with a time zone run a Python function per row on SQLite (a year of
sessions takes a minute). Here a timestamp becomes its Unix seconds plus the zone's UTC offset at
that moment, a CASE over the zone's offset changes within the period (a few per year: daylight
saving time), so the local day is an integer division and the local hour a remainder, natively.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Case, F, Func, Value, When

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86_400


class Epoch(Func):
    """Whole seconds since 1970-01-01 UTC of a timestamp column."""

    output_field = BigIntegerField()
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"  # PostgreSQL

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(
            compiler, connection, template="CAST(strftime(%%s, %(expressions)s) AS INTEGER)", **extra_context
        )
        return sql, ["%s", *params]


@dataclass(frozen=True)
class Offsets:
    """The zone's UTC offsets over a span: offsets[i] holds from changes[i - 1] (from the start for i = 0)."""

    changes: list[datetime]
    offsets: list[int]

    def at(self, moment: datetime) -> int:
        return self.offsets[bisect_right(self.changes, moment)]


def offsets(zone: ZoneInfo, start: datetime, end: datetime) -> Offsets:
    """Every offset change in [start, end], found hour by hour and pinned to the second."""

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    changes, values = [], [offset(moment)]
    while moment < end:
        following = moment + timedelta(hours=1)
        if offset(following) != values[-1]:
            low, high = moment, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == values[-1] else (low, middle)
            changes.append(high)
            values.append(offset(following))
        moment = following
    return Offsets(changes, values)


def local_seconds(column: str, zone_offsets: Offsets):
    """The column's local wall-clock time as seconds since 1970-01-01 00:00 local."""
    offset = Case(
        *(
            When(**{f"{column}__lt": change}, then=Value(value))
            for change, value in zip(zone_offsets.changes, zone_offsets.offsets, strict=False)
        ),
        default=Value(zone_offsets.offsets[-1]),
        output_field=BigIntegerField(),
    )
    return Epoch(F(column)) + offset


def local_day_number(column: str, zone_offsets: Offsets):
    """Days since 1970-01-01 of the column's local date (see `day_of`)."""
    return local_seconds(column, zone_offsets) / Value(DAY)


def local_hour(column: str, zone_offsets: Offsets):
    return local_seconds(column, zone_offsets) % Value(DAY) / Value(3600)


def day_of(number: int) -> date:
    return date.fromordinal(EPOCH_ORDINAL + number)
