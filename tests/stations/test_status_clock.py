"""Status reports from chargers whose clocks cannot be trusted (item 10: frozen status)."""

from datetime import UTC, datetime, timedelta

import pytest

from stations.models import ChargingStation, Connector, StationEvent, StatusEvent
from stations.services.connections import provision_station
from stations.services.status import StatusReport, record_status

pytestmark = pytest.mark.django_db


def report(station, status: str, timestamp: datetime, received_at: datetime, evse_number: int = 1) -> None:
    record_status(
        station_id=station.pk,
        evse_number=evse_number,
        connector_number=1,
        report=StatusReport(status),
        timestamp=timestamp,
        received_at=received_at,
    )


def test_a_status_dated_in_the_future_does_not_freeze_later_ones():
    station = provision_station(charge_point_id="CP-2099", password="x" * 16)
    now = datetime.now(UTC)
    report(station, "Faulted", datetime(2099, 1, 1, tzinfo=UTC), received_at=now)
    report(station, "Available", now + timedelta(seconds=5), received_at=now + timedelta(seconds=5))

    connector = Connector.objects.get(evse__station=station, evse__number=1)
    assert connector.status == "Available"
    history = list(
        StatusEvent.objects.filter(connector=connector)
        .order_by("id")
        .values_list("status", "station_timestamp", "timestamp")
    )
    assert history == [
        ("Faulted", datetime(2099, 1, 1, tzinfo=UTC), now),  # ordered by its arrival, its own date kept
        ("Available", now + timedelta(seconds=5), now + timedelta(seconds=5)),
    ]
    deviation = StationEvent.objects.get(station=station, kind=StationEvent.Kind.DEVIATION)
    skew = round((datetime(2099, 1, 1, tzinfo=UTC) - now).total_seconds())
    assert deviation.details["skew_seconds"] == skew and "Clock skew" in deviation.summary
    # Once the charger reports a sane time again its clock is trusted and the skew cleared.
    assert ChargingStation.objects.get(pk=station.pk).clock_skew_seconds is None


def test_a_skewed_clock_is_kept_on_the_station_and_noted_once():
    station = provision_station(charge_point_id="CP-AHEAD", password="x" * 16)
    now = datetime.now(UTC)
    for step, status in enumerate(["Preparing", "Charging", "Finishing"]):
        received = now + timedelta(minutes=step)
        report(station, status, received + timedelta(hours=2), received_at=received)

    assert Connector.objects.get(evse__station=station, evse__number=1).status == "Finishing"
    assert ChargingStation.objects.get(pk=station.pk).clock_skew_seconds == 7200
    assert StationEvent.objects.filter(station=station, kind=StationEvent.Kind.DEVIATION).count() == 1


def test_a_clock_that_was_never_set_is_ordered_by_arrival():
    """After a reboot without a real-time clock a charger counts from 1970: its reports still apply."""
    station = provision_station(charge_point_id="CP-1970", password="x" * 16)
    now = datetime.now(UTC)
    report(station, "Charging", now, received_at=now)
    report(station, "Available", datetime(1970, 1, 1, 0, 1, tzinfo=UTC), received_at=now + timedelta(seconds=30))

    assert Connector.objects.get(evse__station=station, evse__number=1).status == "Available"
    assert ChargingStation.objects.get(pk=station.pk).clock_skew_seconds < 0
    assert StationEvent.objects.filter(
        station=station, kind=StationEvent.Kind.DEVIATION, summary__startswith="Clock skew"
    ).exists()


def test_a_queued_report_from_a_sane_clock_is_still_history_only():
    """Late is not skewed: a queued report dated before the current state never overwrites it."""
    station = provision_station(charge_point_id="CP-LATE", password="x" * 16)
    now = datetime.now(UTC)
    report(station, "Charging", now, received_at=now)
    report(station, "Preparing", now - timedelta(hours=3), received_at=now + timedelta(seconds=1))

    assert Connector.objects.get(evse__station=station, evse__number=1).status == "Charging"
    assert not StationEvent.objects.filter(station=station, kind=StationEvent.Kind.DEVIATION).exists()


def test_a_state_frozen_before_clocks_were_checked_thaws():
    station = provision_station(charge_point_id="CP-FROZEN", password="x" * 16)
    Connector.objects.filter(evse__station=station).update(
        status="Faulted", status_updated_at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    now = datetime.now(UTC)
    report(station, "Available", now, received_at=now)
    assert Connector.objects.get(evse__station=station, evse__number=1).status == "Available"


def test_the_station_status_follows_the_same_clock_rule():
    station = provision_station(charge_point_id="CP-ZERO", password="x" * 16)
    now = datetime.now(UTC)
    report(station, "Unavailable", datetime(2099, 1, 1, tzinfo=UTC), received_at=now, evse_number=0)
    report(station, "Available", now, received_at=now + timedelta(seconds=1), evse_number=0)
    assert ChargingStation.objects.get(pk=station.pk).status == "Available"
