"""Where local wall-clock time crosses a tariff boundary, as UTC instants.

Restrictions speak the location's local time (times of day, dates, days of
the week). A span is cut wherever any of them could change: every given time
of day and every midnight on each local date, in both folds of an ambiguous
hour (autumn DST), and at every UTC-offset change itself, because in the
spring gap the local clock jumps over the restriction's time instead of
passing it.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_SECOND = timedelta(seconds=1)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The location's wall-clock time at `moment`, naive, as restrictions compare it."""
    return moment.astimezone(zone).replace(tzinfo=None)


def local_cuts(start: datetime, end: datetime, zone: ZoneInfo, times_of_day: set[time]) -> set[datetime]:
    """Instants strictly inside (start, end) where a local-time restriction may change."""
    wall_clock = _wall_clock_instants(start, end, zone, times_of_day | {time(0)})
    inside = {m for m in wall_clock if start < m < end}
    return inside | _offset_changes(sorted({start, end, *inside}), zone)


def _wall_clock_instants(start: datetime, end: datetime, zone: ZoneInfo, times_of_day: set[time]) -> set[datetime]:
    first = to_local(start, zone).date() - timedelta(days=1)
    last = to_local(end, zone).date() + timedelta(days=1)
    instants = set()
    for day in _dates(first, last):
        for moment in times_of_day:
            for fold in (0, 1):
                local = datetime.combine(day, moment, tzinfo=zone).replace(fold=fold)
                instants.add(local.astimezone(UTC))
    return instants


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _offset_changes(points: list[datetime], zone: ZoneInfo) -> set[datetime]:
    """The exact instants (to the second) where the zone's UTC offset changes between the points."""
    changes = set()
    for low, high in zip(points, points[1:]):
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            changes.add(_bisect_offset_change(low, high, zone))
    return changes


def _bisect_offset_change(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    before = low.astimezone(zone).utcoffset()
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    # Zones change offset on whole seconds: the one whole second in (low, high].
    whole = high.replace(microsecond=0)
    return whole if whole > low else high
