"""Issue 9 #5 at the service layer: a start reported by a station the operator does not accept
(the socket not yet closed, a queued message) is kept but refused: idTagInfo Invalid."""

from datetime import UTC, datetime

import pytest

from sessions.models import IdTag, Transaction
from sessions.services.transaction_events import TransactionStep, record_transaction_step
from sessions.services.transactions import start_transaction
from stations.models import StationEvent
from stations.services.connections import change_registration, provision_station

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 21, 8, tzinfo=UTC)


def test_a_rejected_station_gets_invalid_for_its_start_and_the_refusal_is_recorded():
    station = provision_station(charge_point_id="CP-NOT-ACCEPTED", password="x" * 16)
    IdTag.objects.create(id_tag="GOOD-TAG")
    change_registration(station_ids=[station.pk], status="Rejected")
    started = start_transaction(
        station_id=station.pk, evse_number=1, id_tag="GOOD-TAG", meter_start_wh=100, started_at=T0
    )
    assert started.id_tag_info.status == "Invalid"
    assert Transaction.objects.get(pk=started.transaction.pk).authorization_status == "Invalid"
    assert StationEvent.objects.filter(
        station=station, summary="Transaction start refused: the station is not Accepted"
    ).exists()


def test_a_pending_201_station_gets_invalid_for_the_token_of_its_transaction():
    station = provision_station(charge_point_id="CP-PENDING-201", password="x" * 16)
    IdTag.objects.create(id_tag="GOOD-TAG")
    change_registration(station_ids=[station.pk], status="Pending")
    info = record_transaction_step(
        station_id=station.pk,
        step=TransactionStep(
            uid="tx-1",
            seq_no=0,
            kind="started",
            trigger="Authorized",
            timestamp=T0,
            evse_number=1,
            id_tag="GOOD-TAG",
        ),
    )
    assert info.status == "Invalid"


def test_an_accepted_station_starts_as_before():
    station = provision_station(charge_point_id="CP-ACCEPTED", password="x" * 16)
    IdTag.objects.create(id_tag="GOOD-TAG")
    assert change_registration(station_ids=[station.pk], status="Accepted") == 0  # no change, no event
    started = start_transaction(
        station_id=station.pk, evse_number=1, id_tag="GOOD-TAG", meter_start_wh=100, started_at=T0
    )
    assert started.id_tag_info.status == "Accepted"
