"""Uptime as the US NEVI programme measures it (23 CFR 680.116): per charging port, the share of time
it was networked and neither Faulted nor Unavailable.

A port here is a connector. Down time of a connector is the union of: its own Faulted/Unavailable
intervals, its station's (connector 0) Faulted/Unavailable intervals, and its station's offline
intervals. Time before the station was created counts neither way.

Offline intervals come from the station's connection history (StationEvent CONNECTION rows with an
`online` flag, kept by stations.services.connections on every connect and disconnect), read from the
start of the period asked: the first change in it tells the state before it. A station with no change
in the period is as its row says now (never connected: offline since it was created); the same
applies to history from before connections were kept.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from dashboard.selectors.rollups import day_start
from stations.models import ChargingStation, Connector, ConnectorStatus, RegistrationStatus, StationEvent, StatusEvent

DOWN = {str(status) for status in ConnectorStatus.out_of_service()}

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Uptime:
    port_seconds: int
    up_seconds: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.up_seconds / self.port_seconds, 2) if self.port_seconds else None


@dataclass
class _Station:
    created_at: datetime
    connectors: set[int]
    common: list[Interval]  # down for every connector: offline, or connector 0 out of service
    own: dict[int, list[Interval]]  # per connector id


def uptime_by_day(*, first: date, last: date, now: datetime | None = None) -> dict[date, Uptime]:
    """Port-seconds and up-seconds of the accepted stations on each local day in [first, last]."""
    now = now or timezone.now()
    stations = _stations(day_start(first), now)
    affected = {pk: s for pk, s in stations.items() if s.common or s.own}
    plain = sorted((s.created_at, len(s.connectors)) for pk, s in stations.items() if pk not in affected)
    plain_created = [created for created, _ in plain]
    result = {}
    day = first
    while day <= last:
        low, high = day_start(day), min(day_start(day + timedelta(days=1)), now)
        port, down = _plain_ports(plain, plain_created, low, high), 0
        for station in affected.values():
            station_port, station_down = _station_day(station, low, high)
            port, down = port + station_port, down + station_down
        result[day] = Uptime(port_seconds=port, up_seconds=port - down)
        day += timedelta(days=1)
    return result


def _plain_ports(plain: list[tuple[datetime, int]], created: list[datetime], low: datetime, high: datetime) -> int:
    """Stations never down: their connectors are up whenever they existed."""
    if high <= low:
        return 0
    before = bisect_right(created, low)
    seconds = int((high - low).total_seconds()) * sum(n for _, n in plain[:before])
    for created_at, n in plain[before:]:
        if created_at < high:
            seconds += int((high - created_at).total_seconds()) * n
    return seconds


def _station_day(station: _Station, low: datetime, high: datetime) -> tuple[int, int]:
    low = max(low, station.created_at)
    if high <= low:
        return 0, 0
    common = _clip(station.common, low, high)
    common_seconds = _length(common)
    down = common_seconds * len(station.connectors)
    for connector_id, intervals in station.own.items():
        if connector_id in station.connectors:
            down += _length(_union(common + _clip(intervals, low, high))) - common_seconds
    return int((high - low).total_seconds()) * len(station.connectors), down


def _clip(intervals: list[Interval], low: datetime, high: datetime) -> list[Interval]:
    return [(max(a, low), min(b, high)) for a, b in intervals if a < high and b > low]


def _union(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _length(intervals: list[Interval]) -> int:
    return int(sum((b - a).total_seconds() for a, b in _union(intervals)))


def _stations(since: datetime, now: datetime) -> dict[int, _Station]:
    stations = {}
    rows = ChargingStation.objects.filter(registration_status=RegistrationStatus.ACCEPTED).values_list(
        "pk", "created_at", "connected_at", "disconnected_at", "connection_channel"
    )
    changes = _connection_changes(since, now)
    for pk, created_at, connected_at, disconnected_at, channel in rows:
        if pk in changes:
            offline = _offline_intervals(changes[pk], since, now)
        else:
            spell = _offline_interval(created_at, connected_at, disconnected_at, channel, now)
            offline = [spell] if spell else []
        stations[pk] = _Station(created_at, set(), offline, {})
    connectors = ChargingStation.objects.filter(pk__in=list(stations)).values_list("pk", "evses__connectors")
    for pk, connector_id in connectors:
        if connector_id is not None:
            stations[pk].connectors.add(connector_id)
    for (station_id, connector_id), intervals in _down_intervals(since, now).items():
        if station_id in stations:
            if connector_id is None:
                stations[station_id].common.extend(intervals)
            else:
                stations[station_id].own[connector_id] = intervals
    return stations


def _connection_changes(since: datetime, now: datetime) -> dict[int, list[tuple[datetime, bool]]]:
    """Each station's connects and disconnects in [since, now], in order."""
    events = (
        StationEvent.objects.filter(kind=StationEvent.Kind.LINK, occurred_at__gte=since, occurred_at__lte=now)
        .order_by("occurred_at", "id")
        .values_list("station_id", "occurred_at", "details")
    )
    changes: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    for station_id, occurred_at, details in events:
        changes[station_id].append((occurred_at, bool(details["online"])))
    return changes


def _offline_intervals(changes: list[tuple[datetime, bool]], since: datetime, now: datetime) -> list[Interval]:
    """Offline spells from a station's connection changes; before the first, it was the opposite of that."""
    intervals: list[Interval] = []
    offline_since = since if changes[0][1] else None
    for at, online in changes:
        if online and offline_since is not None:
            intervals.append((offline_since, at))
            offline_since = None
        elif not online and offline_since is None:
            offline_since = at
    if offline_since is not None:
        intervals.append((offline_since, now))
    return intervals


def _offline_interval(created_at, connected_at, disconnected_at, channel: str, now: datetime) -> Interval | None:
    """The one offline spell the station's row tells, where no connection change of the period does."""
    if channel:
        if connected_at and disconnected_at and disconnected_at < connected_at:
            return (disconnected_at, connected_at)
        return None
    if disconnected_at:
        return (disconnected_at, now)
    return (created_at, now)


def _down_intervals(since: datetime, now: datetime) -> dict[tuple[int, int | None], list[Interval]]:
    """Out-of-service intervals of every connector (None: connector 0) in [since, now].

    Read from the status changes of the period that enter or leave Faulted/Unavailable (few, and
    found through the timestamp index): a first change that leaves such a state says it held from
    `since`. A connector or station with no change in the period and out of service since before it
    was down all along.
    """
    events = (
        StatusEvent.objects.filter(Q(status__in=DOWN) | Q(previous_status__in=DOWN), timestamp__gte=since)
        .filter(timestamp__lte=now)
        .order_by("timestamp", "id")
        .values_list("station_id", "connector_id", "status", "previous_status", "timestamp")
    )
    down_since: dict[tuple[int, int | None], datetime] = {}
    seen: set[tuple[int, int | None]] = set()
    intervals: dict[tuple[int, int | None], list[Interval]] = defaultdict(list)
    for station_id, connector_id, status, previous, timestamp in events:
        key = (station_id, connector_id)
        if key not in seen and previous in DOWN:
            down_since[key] = since
        seen.add(key)
        if status in DOWN:
            down_since.setdefault(key, timestamp)
        elif key in down_since:
            intervals[key].append((down_since.pop(key), timestamp))
    for key in _down_throughout(since) - seen:
        down_since[key] = since
    for key, start in down_since.items():
        intervals[key].append((start, now))
    return dict(intervals)


def _down_throughout(since: datetime) -> set[tuple[int, int | None]]:
    """Connectors (and stations as a whole) out of service by a status older than `since`."""
    connectors = Connector.objects.filter(status__in=DOWN, status_updated_at__lt=since).values_list(
        "evse__station_id", "pk"
    )
    stations = ChargingStation.objects.filter(status__in=DOWN, status_updated_at__lt=since).values_list("pk", flat=True)
    return {(station_id, pk) for station_id, pk in connectors} | {(pk, None) for pk in stations}
