"""The 2.0.1 seqNo rules at the service layer: each (transaction, seqNo) is applied once, whatever
order the steps arrive in; gaps lose nothing that arrived; a late Started still says where, when and
whose; a replayed Ended changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from sessions.models import DriverSession, IdTag, MeterValue, Transaction
from tests.sessions.chargers import Station201, energy
from tests.stations.conftest import create_site

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
UID = "3f9c1e4a-7f0b-4f8e-9a51-2c7d3b1e0a11"


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def started(station201: Station201, *samples, uid: str = UID, evse_number: int = 1, id_tag: str = "CARD-A", **fields):
    return station201.event(
        "Started", 0, T0, uid, "Authorized", *samples, evse_number=evse_number, id_tag=id_tag, **fields
    )


def updated(station201: Station201, seq_no: int, at: datetime, wh: int, *, uid: str = UID, **fields):
    return station201.event("Updated", seq_no, at, uid, "MeterValuePeriodic", energy(at, wh), **fields)


def ended(station201: Station201, seq_no: int, at: datetime, *samples, uid: str = UID, **fields):
    fields.setdefault("stopped_reason", "EVDisconnected")
    return station201.event("Ended", seq_no, at, uid, "EVCommunicationLost", *samples, **fields)


def steps(uid: str = UID) -> list[tuple[int, str]]:
    return list(Transaction.objects.get(uid=uid).events.values_list("seq_no", "kind"))


def registers() -> list[int]:
    return [int(v) for v in MeterValue.objects.filter(transaction__isnull=False).values_list("value", flat=True)]


def test_started_updated_ended_is_one_transaction(station201, station, card):
    info = started(station201, energy(T0, 1_000, context="Transaction.Begin"), charging_state="Charging")
    assert updated(station201, 1, minutes(15), 2_500) is None
    assert ended(station201, 2, minutes(30), energy(minutes(30), 4_000, context="Transaction.End")) is None

    tx = Transaction.objects.get()
    assert info.status == "Accepted"
    assert (tx.station_id, tx.uid, tx.connector.evse.number, tx.id_tag_value) == (station.pk, UID, 1, "CARD-A")
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("completed", 1_000, 4_000, 3_000)
    assert (tx.started_at, tx.stopped_at, tx.stop_reason) == (T0, minutes(30), "EVDisconnected")
    assert steps() == [(0, "started"), (1, "updated"), (2, "ended")]
    assert registers() == [1_000, 2_500, 4_000]
    assert list(DriverSession.objects.values_list("transaction_id", "state")) == [(tx.pk, "completed")]


def test_a_replayed_started_returns_the_same_answer_and_opens_nothing(station201, card):
    first = started(station201, energy(T0, 1_000))
    again = started(station201, energy(T0, 1_000))

    assert again == first and first.status == "Accepted"
    assert Transaction.objects.count() == 1 and DriverSession.objects.count() == 1
    assert steps() == [(0, "started")] and registers() == [1_000]


def test_a_replayed_started_keeps_its_first_answer_when_the_token_was_blocked_since(station201, card):
    first = started(station201, energy(T0, 1_000))
    IdTag.objects.filter(pk=card.pk).update(status="Blocked")

    assert started(station201, energy(T0, 1_000)) == first
    assert Transaction.objects.get().authorization_status == "Accepted"


def test_an_unknown_token_is_invalid_on_the_started_and_on_its_replay(station201):
    first = started(station201, id_tag="NOBODY")
    again = started(station201, id_tag="NOBODY")
    assert (first.status, again.status) == ("Invalid", "Invalid")
    assert Transaction.objects.get().authorization_status == "Invalid"


def test_a_re_sent_updated_changes_nothing(station201, card):
    started(station201, energy(T0, 1_000))
    updated(station201, 1, minutes(15), 2_500)
    before = Transaction.objects.values().get()

    assert updated(station201, 1, minutes(15), 2_500) is None

    assert Transaction.objects.values().get() == before
    assert steps() == [(0, "started"), (1, "updated")] and registers() == [1_000, 2_500]


def test_a_seen_seq_no_is_ignored_even_when_the_step_differs(station201, card):
    """The seqNo is the step's identity: a charger that re-sends seqNo 1 with other content is not heard twice."""
    started(station201, energy(T0, 1_000))
    updated(station201, 1, minutes(15), 2_500)
    updated(station201, 1, minutes(20), 3_100)
    ended(station201, 1, minutes(25), energy(minutes(25), 3_600))

    tx = Transaction.objects.get()
    assert (tx.status, tx.last_meter_wh) == ("active", 2_500)
    assert steps() == [(0, "started"), (1, "updated")] and registers() == [1_000, 2_500]


def test_a_gap_in_seq_no_loses_nothing_that_arrived(station201, card):
    """seqNo 2 was lost for good (a charger with a full queue drops it): the transaction still ends."""
    started(station201, energy(T0, 1_000))
    updated(station201, 1, minutes(10), 1_800)
    updated(station201, 3, minutes(30), 3_400)
    ended(station201, 4, minutes(40), energy(minutes(40), 4_200))

    tx = Transaction.objects.get()
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("completed", 1_000, 4_200, 3_200)
    assert [seq for seq, _ in steps()] == [0, 1, 3, 4]


def test_a_replayed_ended_changes_nothing(station201, card):
    started(station201, energy(T0, 1_000))
    ended(station201, 1, minutes(30), energy(minutes(30), 4_000))
    stopped = Transaction.objects.values().get()
    session = DriverSession.objects.values().get()

    assert ended(station201, 1, minutes(30), energy(minutes(30), 4_000)) is None

    assert Transaction.objects.values().get() == stopped
    assert DriverSession.objects.values().get() == session
    assert steps() == [(0, "started"), (1, "ended")] and registers() == [1_000, 4_000]


def test_a_second_ended_under_a_new_seq_no_does_not_end_it_again(station201, card):
    started(station201, energy(T0, 1_000))
    ended(station201, 1, minutes(30), energy(minutes(30), 4_000))
    stopped = Transaction.objects.get()

    ended(station201, 2, minutes(50), stopped_reason="Local")

    tx = Transaction.objects.get()
    assert (tx.stopped_at, tx.meter_stop_wh, tx.stop_reason, tx.updated_at) == (
        minutes(30),
        4_000,
        "EVDisconnected",
        stopped.updated_at,
    )


def test_an_updated_before_its_started_still_gets_the_start_time_evse_token_and_meter_start(station201, card):
    """Queued offline events delivered out of order (seqNo 1, 0, 2): no Wh is lost."""
    updated(station201, 1, minutes(30), 1_000, offline=True)  # an Updated names no EVSE and no token
    answer = started(station201, energy(T0, 500, context="Transaction.Begin"), evse_number=2, offline=True)
    ended(station201, 2, minutes(60), energy(minutes(60), 2_600), offline=True)

    tx = Transaction.objects.select_related("connector__evse").get()
    assert answer.status == "Accepted"
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("completed", 500, 2_600, 2_100)
    assert (tx.started_at, tx.stopped_at) == (T0, minutes(60))
    assert (tx.id_tag_value, tx.authorization_status, tx.connector.evse.number) == ("CARD-A", "Accepted", 2)
    assert set(MeterValue.objects.values_list("evse_number", "connector_id")) == {(2, tx.connector_id)}
    assert steps() == [(0, "started"), (1, "updated"), (2, "ended")]
    assert Transaction.objects.count() == 1


def test_an_ended_before_its_started_ends_once_with_the_start_s_time_and_token(station201, card):
    ended(station201, 2, minutes(60), energy(minutes(60), 2_600), offline=True)
    started(station201, energy(T0, 500, context="Transaction.Begin"), evse_number=1, offline=True)
    updated(station201, 1, minutes(30), 1_000, offline=True)

    tx = Transaction.objects.get()
    assert (tx.status, tx.started_at, tx.stopped_at, tx.id_tag_value) == ("completed", T0, minutes(60), "CARD-A")
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (500, 2_600, 2_100)
    assert list(DriverSession.objects.values_list("state", flat=True)) == ["completed"]  # not left active


def test_a_transaction_the_station_already_ended_is_not_reopened_by_a_late_updated(station201, card):
    started(station201, energy(T0, 1_000))
    ended(station201, 2, minutes(30), energy(minutes(30), 4_000))
    updated(station201, 1, minutes(15), 2_500)  # queued, delivered after the Ended

    tx = Transaction.objects.get()
    assert (tx.status, tx.meter_stop_wh, tx.energy_wh, tx.stopped_at) == ("completed", 4_000, 3_000, minutes(30))
    assert registers() == [1_000, 2_500, 4_000]


def test_the_ended_s_samples_from_the_start_give_the_meter_start(station201, card):
    """No TxStartedMeasurands: Started carries no reading; the Ended's TxEndedMeasurands begin at the start
    and repeat the Updated's reading, which is not counted twice."""
    started(station201)
    updated(station201, 1, minutes(15), 2_500)
    ended(
        station201,
        2,
        minutes(30),
        energy(T0, 1_000),
        energy(minutes(15), 2_500),
        energy(minutes(30), 4_000, context="Transaction.End"),
    )

    tx = Transaction.objects.get()
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (1_000, 4_000, 3_000)
    assert registers() == [1_000, 2_500, 4_000]


def test_a_session_resumed_after_reconnect_with_a_re_sent_step_counts_once(station201, card):
    """Online start; the link drops after an Updated was sent but before its answer; offline steps queue;
    back online, the charger re-sends the unanswered Updated and then its queue."""
    started(station201, energy(T0, 1_000))
    updated(station201, 1, minutes(10), 1_600)  # answer lost
    updated(station201, 1, minutes(10), 1_600)
    updated(station201, 2, minutes(20), 2_200, offline=True)
    updated(station201, 3, minutes(30), 2_800, offline=True)
    ended(station201, 4, minutes(35), energy(minutes(35), 3_100), offline=True)
    ended(station201, 4, minutes(35), energy(minutes(35), 3_100), offline=True)  # its answer lost too

    tx = Transaction.objects.get()
    assert (tx.status, tx.energy_wh) == ("completed", 2_100)
    assert registers() == [1_000, 1_600, 2_200, 2_800, 3_100]
    assert list(tx.events.values_list("seq_no", "offline")) == [
        (0, False),
        (1, False),
        (2, True),
        (3, True),
        (4, True),
    ]


def test_transaction_ids_and_seq_nos_are_the_station_s_own(station201, card):
    """Two stations that number their transactions alike ("1") run two transactions, each with its seqNo 0."""
    other = Station201(create_site("CP-TWIN", 52.5, 13.4, online=False).pk)
    started(station201, energy(T0, 1_000), uid="1", id_tag="TOKEN-X")
    started(other, energy(T0, 7_000), uid="1", id_tag="TOKEN-Y")

    assert sorted(Transaction.objects.values_list("station_id", "uid", "meter_start_wh")) == sorted(
        [(station201.station_id, "1", 1_000), (other.station_id, "1", 7_000)]
    )
    assert sorted(Transaction.objects.values_list("events__seq_no", flat=True)) == [0, 0]
