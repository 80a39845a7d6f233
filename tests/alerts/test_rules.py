"""Each rule of alerts/rules.py opens an alert for the right subject, with the title an operator reads,
and the alert resolves by itself once the condition clears."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from alerts.services import evaluate
from billing.models import Payment
from csms.ocpp.models import RefusedConnection
from sessions.meter import Sample
from sessions.models import DriverSession, IdTag
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from stations.models import ChargingStation
from stations.services.status import StatusReport, record_status
from tests.alerts.conftest import active

pytestmark = pytest.mark.django_db
State = DriverSession.State


def status(station, evse: int, report: StatusReport, at=None) -> None:
    record_status(
        station_id=station.pk, evse_number=evse, connector_number=1, report=report, timestamp=at or timezone.now()
    )


def resolved_by_itself(alert: Alert) -> bool:
    alert.refresh_from_db()
    return alert.state == Alert.State.RESOLVED and alert.auto_resolved and alert.resolved_by is None


def test_a_station_offline_longer_than_the_setting_alerts_until_it_is_back(station, published):
    now = timezone.now()
    ChargingStation.objects.filter(pk=station.pk).update(disconnected_at=now - timedelta(minutes=9))
    evaluate(now=now)
    assert active("station_offline") == []

    evaluate(now=now + timedelta(minutes=2))
    [alert] = active("station_offline")
    assert (alert.subject, alert.station_id, alert.charge_point_id) == (f"station:{station.pk}", station.pk, "CP-ALERT")
    assert (alert.title, alert.severity) == ("CP-ALERT offline for more than 10 min", "critical")
    assert published[-1] == {
        "type": "alert_changed",
        "alert_id": alert.pk,
        "rule": "station_offline",
        "state": "open",
        "new": True,
        "station_id": station.pk,
        "charge_point_id": "CP-ALERT",
        "title": "CP-ALERT offline for more than 10 min",
    }

    ChargingStation.objects.filter(pk=station.pk).update(connection_channel="specific.x!y", connected_at=now)
    evaluate(now=now + timedelta(minutes=3))
    assert resolved_by_itself(alert)
    assert (published[-1]["alert_id"], published[-1]["state"], published[-1]["new"]) == (alert.pk, "resolved", False)


def test_a_station_that_never_connected_is_not_offline(station):
    evaluate(now=timezone.now() + timedelta(days=1))
    assert active("station_offline") == []


def test_a_faulted_connector_alerts_with_the_vendor_error_until_it_is_available(station, connector, published):
    status(station, 1, StatusReport("Available"))
    status(
        station,
        1,
        StatusReport(
            "Faulted", error_code="GroundFailure", vendor_id="ABB", vendor_error_code="E042", info="RCD tripped"
        ),
    )
    status(station, 2, StatusReport("Available"))
    evaluate()
    [alert] = active("faulted")
    assert (alert.subject, alert.station_id) == (f"connector:{connector.pk}", station.pk)
    assert alert.title == "CP-ALERT EVSE 1 connector 1 Faulted: GroundFailure (vendor error E042 from ABB): RCD tripped"
    assert alert.details["vendor_error_code"] == "E042" and alert.details["error_code"] == "GroundFailure"

    status(station, 1, StatusReport("Faulted", error_code="OtherError", vendor_error_code="E7"))
    evaluate()
    alert.refresh_from_db()
    assert (alert.state, alert.title) == ("open", "CP-ALERT EVSE 1 connector 1 Faulted: OtherError (vendor error E7)")

    status(station, 1, StatusReport("Available"))
    evaluate()
    assert resolved_by_itself(alert)


def test_the_station_itself_faulted_is_its_own_alert(station):
    record_status(
        station_id=station.pk,
        evse_number=0,
        connector_number=0,
        report=StatusReport("Faulted", error_code="PowerSwitchFailure"),
        timestamp=timezone.now(),
    )
    evaluate()
    [alert] = active("faulted")
    assert (alert.subject, alert.title) == (f"station:{station.pk}", "CP-ALERT Faulted: PowerSwitchFailure")


def test_remote_starts_failing_on_the_charger_above_the_rate_alert(station, remote_start):
    remote_start(State.FAILED, "station_rejected")
    remote_start(State.FAILED, "start_timeout")
    evaluate()
    assert active("start_failures") == []  # 2 starts: fewer than ALERTS_START_FAILURE_MIN_COUNT

    remote_start(State.COMPLETED)
    remote_start(State.FAILED, "payment_declined")  # the driver's card, not the charger: not counted
    remote_start(State.PENDING)  # undecided: not counted
    evaluate()
    [alert] = active("start_failures")
    assert (alert.subject, alert.station_id) == (f"station:{station.pk}", station.pk)
    assert alert.title == "CP-ALERT: 2 of 3 remote starts failed in the last 60 min"
    assert alert.details["reasons"] == {"station_rejected": 1, "start_timeout": 1}

    DriverSession.objects.filter(state=State.FAILED).update(created_at=timezone.now() - timedelta(hours=2))
    evaluate()
    assert resolved_by_itself(alert)


def test_a_rate_at_the_threshold_does_not_alert(station, remote_start):
    remote_start(State.FAILED, "station_error")
    remote_start(State.COMPLETED)
    remote_start(State.COMPLETED)
    remote_start(State.FAILED, "station_not_responding")  # 2 of 4: 50 %, not above it
    evaluate()
    assert active("start_failures") == []


@pytest.fixture
def charging(station):
    """A 1.6 session as a charger runs it: Preparing, the start 20 minutes ago, then Charging."""
    started = timezone.now() - timedelta(minutes=20)
    IdTag.objects.create(id_tag="TAG-ALERT")
    status(station, 1, StatusReport("Preparing"), at=started - timedelta(seconds=30))
    tx = start_transaction(
        station_id=station.pk, evse_number=1, id_tag="TAG-ALERT", meter_start_wh=1000, started_at=started
    ).transaction
    status(station, 1, StatusReport("Charging"), at=started + timedelta(seconds=5))
    return tx


def readings(station, tx, *minutes_ago_and_wh: tuple[int, int]) -> None:
    now = timezone.now()
    record_meter_values(
        station_id=station.pk,
        evse_number=1,
        transaction_id=tx.pk,
        samples=[
            Sample(timestamp=now - timedelta(minutes=m), value=str(wh), unit="Wh") for m, wh in minutes_ago_and_wh
        ],
    )


def test_a_session_without_readings_alerts_until_one_arrives(station, charging):
    evaluate()
    [alert] = active("no_reading")
    assert (alert.subject, alert.station_id) == (f"transaction:{charging.pk}", station.pk)
    assert alert.title == f"CP-ALERT EVSE 1 transaction {charging.pk}: no meter reading for 15 min"
    assert active("no_consumption") == []

    readings(station, charging, (1, 1500))
    evaluate()
    assert resolved_by_itself(alert)


def test_charging_without_consumption_alerts_until_the_energy_rises(station, charging):
    readings(station, charging, (18, 1500), (10, 1500), (1, 1500))
    evaluate()
    [alert] = active("no_consumption")
    assert alert.subject == f"transaction:{charging.pk}"
    assert alert.title == f"CP-ALERT EVSE 1 transaction {charging.pk}: Charging without consumption for 15 min"
    assert active("no_reading") == []

    readings(station, charging, (0, 1600))
    evaluate()
    assert resolved_by_itself(alert)


def test_a_session_whose_energy_rises_is_fine(station, charging):
    readings(station, charging, (18, 1500), (10, 1900), (1, 2400))
    evaluate()
    assert active("no_consumption") == active("no_reading") == []


def test_a_stopped_session_resolves_its_alert(station, charging):
    evaluate()
    [alert] = active("no_reading")
    stop_transaction(station_id=station.pk, transaction_id=charging.pk, meter_stop_wh=1000, stopped_at=timezone.now())
    status(station, 1, StatusReport("Finishing"))
    evaluate()
    assert resolved_by_itself(alert)


def test_a_charger_clock_off_by_more_than_the_setting_alerts_until_it_keeps_time(station):
    status(station, 1, StatusReport("Available"), at=timezone.now() + timedelta(hours=1))  # its clock runs ahead
    evaluate()
    [alert] = active("clock_skew")
    assert (alert.subject, alert.station_id) == (f"station:{station.pk}", station.pk)
    assert alert.title.startswith("CP-ALERT clock is +") and alert.title.endswith(" s off")
    assert 3599 <= alert.details["skew_seconds"] <= 3600

    status(station, 1, StatusReport("Available"))  # a report dated right clears the recorded skew
    evaluate()
    assert resolved_by_itself(alert)


def refused(charge_point_id: str, reason: str, attempts: int, at=None) -> None:
    at = at or timezone.now()
    RefusedConnection.objects.create(
        charge_point_id=charge_point_id,
        client_address="10.0.0.9",
        reason=reason,
        attempts=attempts,
        first_seen_at=at,
        last_seen_at=at,
    )


def test_refused_connections_alert_for_an_unknown_id_at_once_and_a_known_one_past_the_limit(station):
    refused("CP-GHOST", RefusedConnection.Reason.UNKNOWN_STATION, 1)
    refused("CP-ALERT", RefusedConnection.Reason.WRONG_PASSWORD, 4)
    evaluate()
    [ghost] = active("refused_connections")
    assert (ghost.subject, ghost.station_id, ghost.charge_point_id) == ("charge_point:CP-GHOST", None, "CP-GHOST")
    assert (
        ghost.title
        == "Unknown charge point CP-GHOST: 1 refused connection attempt in the last hour (unknown station id)"
    )

    RefusedConnection.objects.filter(charge_point_id="CP-ALERT").update(attempts=5)
    evaluate()
    known = Alert.objects.get(rule="refused_connections", subject="charge_point:CP-ALERT")
    assert (known.station_id, known.state) == (station.pk, "open")
    assert known.title == "CP-ALERT: 5 refused connection attempts in the last hour (wrong password)"

    evaluate(now=timezone.now() + timedelta(minutes=61))
    assert resolved_by_itself(ghost) and resolved_by_itself(known)


@pytest.fixture
def paid_session(remote_start, charging):
    session = remote_start(State.COMPLETED)
    DriverSession.objects.filter(pk=session.pk).update(transaction=charging)
    return session


def payment(session, status: str, failure_code: str = "") -> Payment:
    return Payment.objects.create(
        driver_session=session,
        currency="EUR",
        amount_authorised=Decimal("50.00"),
        status=status,
        failure_code=failure_code,
    )


def test_a_failed_settlement_alerts_until_the_payment_is_captured(paid_session):
    failed = payment(paid_session, Payment.Status.FAILED, "card_declined")
    evaluate()
    [alert] = active("failed_payment")
    assert (alert.subject, alert.station_id) == (f"payment:{failed.pk}", paid_session.station_id)
    assert alert.title == f"CP-ALERT: payment of session {paid_session.pk} failed (card_declined)"

    Payment.objects.filter(pk=failed.pk).update(status=Payment.Status.CAPTURED, failure_code="")
    evaluate()
    assert resolved_by_itself(alert)


def test_a_hold_refused_before_any_charging_is_no_alert(remote_start):
    payment(remote_start(State.FAILED, "payment_declined"), Payment.Status.FAILED, "card_declined")
    evaluate()
    assert active("failed_payment") == []


def test_an_open_dispute_alerts_until_it_is_closed(paid_session):
    disputed = payment(paid_session, Payment.Status.CAPTURED)
    Payment.objects.filter(pk=disputed.pk).update(
        dispute_id="dp_1", dispute_status="needs_response", dispute_reason="fraudulent", disputed_at=timezone.now()
    )
    evaluate()
    [alert] = active("disputed_payment")
    assert (alert.subject, alert.severity) == (f"payment:{disputed.pk}", "critical")
    assert alert.title == f"CP-ALERT: payment of session {paid_session.pk} disputed (fraudulent)"

    Payment.objects.filter(pk=disputed.pk).update(dispute_status="won")
    evaluate()
    assert resolved_by_itself(alert)
