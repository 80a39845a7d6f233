"""The day figures behind the overview and analytics: local-day boundaries, occupied time split at
midnight, revenue per currency, NEVI uptime arithmetic, and the backfill command's rows."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from dashboard.models import NetworkDay, StationDay
from dashboard.selectors.rollups import network_days, starts_by_day_hour, station_days
from dashboard.selectors.uptime import uptime_by_day
from dashboard.services import refresh_rollups
from stations.models import ChargingStation, Connector, StationEvent
from stations.services import connections
from tests.dashboard.figures import cdr, connectors, session, station, status

pytestmark = pytest.mark.django_db

H = 3600


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in March before the 29th


def test_a_session_counts_on_its_local_start_day_and_its_occupied_time_splits_at_local_midnight(berlin):
    cp = station("CP-TZ")
    # 23:30 UTC on the 9th is 00:30 on the 10th in Berlin: the 10th's session.
    session(cp, start=utc(9, 23, 30), stop=utc(10, 0, 30), wh=5_000)
    # 22:30-23:30 UTC is 23:30-00:30 in Berlin: the 9th's session, half its hour on each day.
    session(cp, start=utc(9, 22, 30), stop=utc(9, 23, 30), wh=2_000)

    days = station_days(first=date(2026, 3, 9), last=date(2026, 3, 10), now=utc(12, 0))

    ninth, tenth = days[(cp.pk, date(2026, 3, 9))], days[(cp.pk, date(2026, 3, 10))]
    assert (ninth.sessions, ninth.energy_wh, ninth.occupied_seconds) == (1, 2_000, 1_800)
    assert (tenth.sessions, tenth.energy_wh, tenth.occupied_seconds) == (1, 5_000, 1_800 + 3_600)
    starts = starts_by_day_hour(first=date(2026, 3, 9), last=date(2026, 3, 10))
    assert starts[date(2026, 3, 9)][23] == 1 and sum(starts[date(2026, 3, 9)]) == 1
    assert starts[date(2026, 3, 10)][0] == 1 and sum(starts[date(2026, 3, 10)]) == 1


def test_local_hours_follow_the_change_to_summer_time(berlin):
    cp = station("CP-DST")
    # 29 March 2026: clocks go from 02:00 CET to 03:00 CEST (01:00 UTC).
    session(cp, start=utc(29, 0, 30), stop=utc(29, 0, 45), wh=1_000)  # 01:30 CET
    session(cp, start=utc(29, 1, 30), stop=utc(29, 1, 45), wh=1_000)  # 03:30 CEST
    session(cp, start=utc(29, 22, 30), stop=utc(29, 22, 45), wh=1_000)  # 00:30 CEST on the 30th

    starts = starts_by_day_hour(first=date(2026, 3, 29), last=date(2026, 3, 30))

    assert [hour for hour, count in enumerate(starts[date(2026, 3, 29)]) if count] == [1, 3]
    assert [hour for hour, count in enumerate(starts[date(2026, 3, 30)]) if count] == [0]


def test_a_running_session_is_occupied_until_now_and_its_energy_so_far_counts(berlin):
    cp = station("CP-RUN")
    session(cp, start=utc(10, 21, 0), stop=None, wh=3_000)  # 22:00 Berlin on the 10th

    days = station_days(first=date(2026, 3, 10), last=date(2026, 3, 11), now=utc(11, 1, 0))  # 02:00 on the 11th

    assert days[(cp.pk, date(2026, 3, 10))].occupied_seconds == 2 * H
    assert days[(cp.pk, date(2026, 3, 10))].energy_wh == 3_000
    assert days[(cp.pk, date(2026, 3, 11))].occupied_seconds == 2 * H
    assert days[(cp.pk, date(2026, 3, 11))].sessions == 0


def test_revenue_is_the_sealed_cdrs_excl_vat_per_currency_on_the_sessions_start_day(berlin):
    cp, other = station("CP-EUR"), station("CP-GBP")
    cdr(session(cp, start=utc(10, 8), stop=utc(10, 9), wh=10_000), amount="4.2000")
    cdr(session(cp, start=utc(10, 12), stop=utc(10, 13), wh=10_000), amount="1.3050")
    cdr(session(other, start=utc(10, 10), stop=utc(10, 11), wh=1_000), amount="2.0000", currency="GBP")
    session(cp, start=utc(10, 14), stop=utc(10, 15), wh=1_000)  # not sealed yet: no money

    network = network_days(station_days(first=date(2026, 3, 10), last=date(2026, 3, 10), now=utc(11, 0)))

    assert network[date(2026, 3, 10)].revenue == {"EUR": Decimal("5.5050"), "GBP": Decimal("2.0000")}
    assert network[date(2026, 3, 10)].energy_wh == 22_000
    assert network[date(2026, 3, 10)].sessions == 4


def test_uptime_per_connector_takes_out_faulted_offline_and_unavailable_time_and_time_before_the_station():
    day = date(2026, 3, 10)
    # Created at 06:00: 18 h on each of its 2 connectors = 36 port-hours.
    # It went offline at 11:00 and came back at 14:00 (its last gap, still on its row).
    cp = station("CP-UP", evses=2, created_at=utc(10, 6), disconnected_at=utc(10, 11), connected_at=utc(10, 14))
    first, second = connectors(cp)
    status(cp, first, "Faulted", "Available", utc(10, 10))  # connector 1 down 10-12, overlapping offline 11-14
    status(cp, first, "Available", "Faulted", utc(10, 12))
    status(cp, None, "Unavailable", "Available", utc(10, 20))  # the station as a whole: 20-21
    status(cp, None, "Available", "Unavailable", utc(10, 21))
    status(cp, second, "Charging", "Preparing", utc(10, 15))  # in use is up

    uptime = uptime_by_day(first=day, last=day, now=utc(12, 0))[day]

    # connector 1: 10-14 and 20-21 = 5 h down; connector 2: 11-14 and 20-21 = 4 h down.
    assert uptime.port_seconds == 36 * H
    assert uptime.up_seconds == (36 - 9) * H
    assert uptime.percent == 75.0


def test_uptime_counts_a_station_offline_since_its_disconnection_and_a_fault_still_open():
    cp = station("CP-OFF", online=False, created_at=utc(1, 0), disconnected_at=utc(10, 18))
    healthy = station("CP-OK", created_at=utc(1, 0), connected_at=utc(1, 0))
    status(healthy, connectors(healthy)[0], "Faulted", "Available", utc(10, 22))  # never cleared

    days = uptime_by_day(first=date(2026, 3, 10), last=date(2026, 3, 11), now=utc(11, 12))

    assert days[date(2026, 3, 10)].port_seconds == 2 * 24 * H
    assert days[date(2026, 3, 10)].up_seconds == (48 - 6 - 2) * H
    # The 11th until now (12:00): both down all along.
    assert (days[date(2026, 3, 11)].port_seconds, days[date(2026, 3, 11)].up_seconds) == (24 * H, 0)
    assert cp.pk != healthy.pk


def test_uptime_of_a_day_knows_faults_that_began_before_it():
    """A day's figure reads only that day's changes; what held from before comes from their edges."""
    still, cleared, station_down = (station(cp, created_at=utc(1, 0)) for cp in ("CP-STILL", "CP-CLEARED", "CP-UNAV"))
    [still_connector], [cleared_connector] = connectors(still), connectors(cleared)
    status(still, still_connector, "Faulted", "Available", utc(5, 9))  # days before, never cleared
    Connector.objects.filter(pk=still_connector.pk).update(status="Faulted", status_updated_at=utc(5, 9))
    status(cleared, cleared_connector, "Faulted", "Available", utc(5, 9))
    status(cleared, cleared_connector, "Available", "Faulted", utc(10, 6))  # cleared at 06:00 on the day
    status(station_down, None, "Unavailable", "Available", utc(4, 0))  # the station as a whole, since the 4th
    ChargingStation.objects.filter(pk=station_down.pk).update(status="Unavailable", status_updated_at=utc(4, 0))

    uptime = uptime_by_day(first=date(2026, 3, 10), last=date(2026, 3, 10), now=utc(11, 12))[date(2026, 3, 10)]

    assert uptime.port_seconds == 3 * 24 * H
    assert uptime.up_seconds == 18 * H  # only CP-CLEARED, from 06:00


def test_uptime_takes_out_every_offline_spell_of_the_connection_history(monkeypatch):
    """Two outages in a day, told by the connection services as a charger's link drops and returns."""
    cp = station("CP-FLAKY", online=False, created_at=utc(1, 0))

    def at(moment: datetime) -> None:
        monkeypatch.setattr(connections.timezone, "now", lambda: moment)

    at(utc(10, 2))
    connections.station_connected(station_id=cp.pk, channel_name="proc!a", ocpp_version="1.6", since=utc(10, 2))
    at(utc(10, 8))
    connections.station_disconnected(station_id=cp.pk, channel_name="proc!a")  # 08:00-09:30 offline
    connections.station_connected(station_id=cp.pk, channel_name="proc!b", ocpp_version="1.6", since=utc(10, 9, 30))
    at(utc(10, 20))
    connections.mark_silent_stations_offline(now=utc(10, 20))  # silent since 09:30: offline from 20:00
    connections.station_connected(station_id=cp.pk, channel_name="proc!c", ocpp_version="1.6", since=utc(10, 21))

    uptime = uptime_by_day(first=date(2026, 3, 10), last=date(2026, 3, 10), now=utc(11, 12))[date(2026, 3, 10)]

    # UTC is the network's time zone here: offline 00:00-02:00 (it first connected at 02:00), 08:00-09:30, 20:00-21:00.
    assert uptime.port_seconds == 24 * H
    assert uptime.up_seconds == 24 * H - (2 * H + 90 * 60 + H)
    summaries = list(
        StationEvent.objects.filter(station=cp, kind=StationEvent.Kind.LINK)
        .order_by("occurred_at")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Connected (OCPP 1.6)",
        "Disconnected",
        "Connected (OCPP 1.6)",
        "Offline: silent for 3 heartbeats",
        "Connected (OCPP 1.6)",
    ]


def test_the_backfill_command_stores_what_the_live_computation_gives(settings):
    settings.TIME_ZONE = "America/New_York"
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    cp, other = station("CP-A", evses=2), station("CP-B")
    for n in range(6):
        start = today - timedelta(hours=9 * n + 3)
        tx = session(cp if n % 2 else other, start=start, stop=start + timedelta(minutes=50 + n), wh=1_000 * n)
        cdr(tx, amount=f"{n}.25")
    status(cp, connectors(cp)[0], "Faulted", "Available", today - timedelta(hours=30))
    status(cp, connectors(cp)[0], "Available", "Faulted", today - timedelta(hours=20))

    call_command("dashboard_rollups", days=4)  # chunks of 31 days: one here

    last = NetworkDay.objects.order_by("-day").first()
    first = last.day - timedelta(days=3)
    live = station_days(first=first, last=last.day, now=last.refreshed_at)
    stored = {
        (row.station_id, row.day): (row.sessions, row.energy_wh, row.occupied_seconds, row.revenue)
        for row in StationDay.objects.all()
    }
    assert stored == {
        key: (f.sessions, f.energy_wh, f.occupied_seconds, {c: str(a) for c, a in f.revenue.items()})
        for key, f in live.items()
    }
    assert sum(row[0] for row in stored.values()) == 6
    uptime = uptime_by_day(first=first, last=last.day, now=last.refreshed_at)
    network = network_days(live)
    starts = starts_by_day_hour(first=first, last=last.day)
    for row in NetworkDay.objects.all():
        assert (row.port_seconds, row.up_seconds) == (uptime[row.day].port_seconds, uptime[row.day].up_seconds)
        assert row.energy_wh == (network[row.day].energy_wh if row.day in network else 0)
        assert row.starts_by_hour == starts.get(row.day, [0] * 24)
    assert NetworkDay.objects.count() == 4


def test_refreshing_a_day_again_replaces_its_rows():
    cp = station("CP-R")
    tx = session(cp, start=utc(10, 8), stop=utc(10, 9), wh=1_000)
    refresh_rollups(first=date(2026, 3, 10), last=date(2026, 3, 10), now=utc(11, 0))
    tx.delete()

    refresh_rollups(first=date(2026, 3, 10), last=date(2026, 3, 10), now=utc(11, 0))

    assert not StationDay.objects.exists()
    assert NetworkDay.objects.get().sessions == 0


def test_the_backfill_command_covers_longer_spans_a_month_at_a_time(capsys):
    cp = station("CP-LONG")
    started = datetime.combine(
        datetime.now(UTC).date() - timedelta(days=40), datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=1)
    session(cp, start=started, stop=started + timedelta(hours=1), wh=7_000)

    call_command("dashboard_rollups", days=70)

    assert NetworkDay.objects.count() == 70
    assert StationDay.objects.get().energy_wh == 7_000
    assert "rollups of 70 days" in capsys.readouterr().out
