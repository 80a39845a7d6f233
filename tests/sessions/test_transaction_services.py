"""The 1.6 idempotency core at the service layer: a start, its replay, a stop, its replay and a stop
after a reconnect, as a compliant charger sends them (Preparing, StartTransaction, Charging,
MeterValues..., StopTransaction, Finishing), and as a lossy link repeats them."""

from datetime import UTC, datetime, timedelta

import pytest

from sessions.models import DriverSession, IdTag, MeterValue, Transaction
from stations.models import StationEvent
from tests.sessions.chargers import energy

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def deviations(station) -> list[str]:
    return list(
        StationEvent.objects.filter(station=station, kind="deviation").order_by("id").values_list("summary", flat=True)
    )


def registers(transaction_id: int) -> list[int]:
    return [int(v) for v in MeterValue.objects.filter(transaction_id=transaction_id).values_list("value", flat=True)]


# --- start -----------------------------------------------------------------------------------------


def test_a_start_opens_one_transaction_whose_id_the_charger_gets(charger16, station, card):
    charger16.status(1, "Preparing", T0)
    started = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)
    charger16.status(1, "Charging", T0)

    tx = Transaction.objects.get()
    assert (started.transaction.pk, started.replayed, started.id_tag_info.status) == (tx.pk, False, "Accepted")
    assert (tx.station_id, tx.connector.evse.number, tx.id_tag_value, tx.authorization_status) == (
        station.pk,
        1,
        "CARD-A",
        "Accepted",
    )
    assert (tx.status, tx.meter_start_wh, tx.last_meter_wh, tx.started_at, tx.energy_wh) == ("active", 500, 500, T0, 0)
    assert list(DriverSession.objects.values_list("transaction_id", "state")) == [(tx.pk, "active")]


def test_a_start_replayed_after_a_lost_answer_gets_the_same_transaction_id(charger16, card):
    first = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)
    again = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)  # the answer to the first was lost

    assert (again.transaction.pk, again.replayed, again.id_tag_info) == (first.transaction.pk, True, first.id_tag_info)
    assert Transaction.objects.count() == 1 and DriverSession.objects.count() == 1
    assert Transaction.objects.get().status == "active"


def test_a_start_replayed_after_reconnect_keeps_the_readings_since(charger16, station, card):
    """The charger got no answer, kept charging, and re-sends its queued start once back online."""
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    charger16.meter_values(transaction_id, energy(minutes(10), 1_400))

    again = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)

    tx = Transaction.objects.get()
    assert again.transaction.pk == transaction_id == tx.pk
    assert (tx.status, tx.last_meter_wh, tx.energy_wh) == ("active", 1_400, 900)
    assert registers(tx.pk) == [1_400] and deviations(station) == []


def test_a_start_replayed_after_the_stop_reopens_nothing(charger16, card):
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    charger16.stop(transaction_id, meter_stop=2_000, at=minutes(30))
    stopped = Transaction.objects.get()

    again = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)

    tx = Transaction.objects.get()
    assert again.transaction.pk == transaction_id and again.replayed
    assert (tx.status, tx.meter_stop_wh, tx.stopped_at, tx.updated_at) == (
        "completed",
        2_000,
        minutes(30),
        stopped.updated_at,
    )
    assert list(DriverSession.objects.values_list("state", flat=True)) == ["completed"]


def test_a_replayed_start_keeps_its_first_answer_when_the_card_was_blocked_since(charger16, card):
    first = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)
    IdTag.objects.filter(pk=card.pk).update(status="Blocked")

    again = charger16.start(id_tag="CARD-A", meter_start=500, at=T0)

    assert again.id_tag_info.status == "Accepted" and again.transaction.pk == first.transaction.pk
    assert Transaction.objects.get().authorization_status == "Accepted"


def test_an_unknown_card_gets_a_transaction_id_and_invalid_on_its_start_and_its_replay(charger16):
    first = charger16.start(id_tag="NOBODY", meter_start=0, at=T0)
    again = charger16.start(id_tag="NOBODY", meter_start=0, at=T0)

    assert (first.id_tag_info.status, again.id_tag_info.status) == ("Invalid", "Invalid")
    assert again.transaction.pk == first.transaction.pk and Transaction.objects.count() == 1


def test_a_start_with_another_meter_start_at_the_same_moment_is_a_new_session_not_a_replay(charger16, card):
    """A charger without a clock dates every start alike: the meter start tells a replay from a new session."""
    first = charger16.session(id_tag="CARD-A", meter_start=10_000, at=T0)
    charger16.stop(first, meter_stop=13_000, at=minutes(60))
    second = charger16.session(id_tag="CARD-A", meter_start=13_000, at=T0)

    assert second != first
    assert dict(Transaction.objects.values_list("pk", "status")) == {first: "completed", second: "active"}


# --- stop ------------------------------------------------------------------------------------------


def test_a_stop_completes_the_session_once(charger16, station, card):
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    charger16.meter_values(transaction_id, energy(minutes(5), 900), energy(minutes(10), 1_300))

    info = charger16.stop(transaction_id, meter_stop=2_000, at=minutes(30), id_tag="CARD-A", reason="Local")
    charger16.status(1, "Finishing", minutes(30))

    tx = Transaction.objects.get()
    assert info.status == "Accepted"
    assert (tx.status, tx.meter_stop_wh, tx.stopped_at, tx.stop_reason, tx.stop_id_tag_value, tx.energy_wh) == (
        "completed",
        2_000,
        minutes(30),
        "Local",
        "CARD-A",
        1_500,
    )
    assert registers(tx.pk) == [900, 1_300]
    assert DriverSession.objects.get(transaction=tx).state == "completed" and deviations(station) == []


def test_a_stop_without_an_id_tag_is_answered_without_id_tag_info(charger16, card):
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    assert charger16.stop(transaction_id, meter_stop=900, at=minutes(10), reason="EVDisconnected") is None
    assert Transaction.objects.get().stop_reason == "EVDisconnected"


@pytest.mark.parametrize(
    "replayed",
    [
        {"meter_stop": 2_000, "at": minutes(30)},  # the same frame, re-sent
        {"meter_stop": 9_999, "at": minutes(90)},  # a charger that rebuilds the stop when it retries
    ],
    ids=["same-frame", "rebuilt-frame"],
)
def test_a_replayed_stop_changes_nothing(charger16, station, card, replayed):
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    first = charger16.stop(transaction_id, meter_stop=2_000, at=minutes(30), id_tag="CARD-A")
    stopped = Transaction.objects.get()
    session = DriverSession.objects.get()

    again = charger16.stop(transaction_id, id_tag="CARD-A", reason="Remote", **replayed)

    tx = Transaction.objects.get()
    assert again == first
    assert (tx.meter_stop_wh, tx.stopped_at, tx.stop_reason, tx.energy_wh, tx.updated_at) == (
        2_000,
        minutes(30),
        "Local",
        1_500,
        stopped.updated_at,
    )
    assert DriverSession.objects.get().updated_at == session.updated_at and deviations(station) == []


def test_a_stop_after_reconnect_completes_the_session_from_its_queued_transaction_data(charger16, station, card):
    """The link drops mid-session; the charger keeps sampling and sends its stop, with the samples it
    queued (one of them already delivered before the drop), once it is back."""
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    charger16.meter_values(transaction_id, energy(minutes(5), 800))
    # offline; reconnected
    queued = (energy(minutes(5), 800), energy(minutes(20), 1_700), energy(minutes(40), 2_600))
    info = charger16.stop(transaction_id, meter_stop=2_700, at=minutes(45), reason="PowerLoss", transaction_data=queued)

    tx = Transaction.objects.get()
    assert info is None
    assert (tx.status, tx.stop_reason, tx.meter_stop_wh, tx.stopped_at, tx.energy_wh) == (
        "completed",
        "PowerLoss",
        2_700,
        minutes(45),
        2_200,
    )
    assert registers(tx.pk) == [800, 1_700, 2_600]  # the sample sent before the drop is not doubled
    assert Transaction.objects.filter(station=station).count() == 1


def test_a_stop_with_transaction_data_replayed_after_reconnect_changes_nothing(charger16, card):
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=500, at=T0)
    queued = (energy(minutes(20), 1_700), energy(minutes(40), 2_600))
    charger16.stop(transaction_id, meter_stop=2_700, at=minutes(45), reason="PowerLoss", transaction_data=queued)
    stopped = Transaction.objects.values().get()

    charger16.stop(transaction_id, meter_stop=2_700, at=minutes(45), reason="PowerLoss", transaction_data=queued)

    assert registers(transaction_id) == [1_700, 2_600]
    assert Transaction.objects.values().get() == stopped


def test_a_stop_for_an_unknown_transaction_is_answered_and_noted(charger16, station, card):
    info = charger16.stop(424242, meter_stop=10, at=minutes(45), id_tag="CARD-A")

    assert info.status == "Accepted"  # or the charger retries it forever
    assert Transaction.objects.count() == 0
    assert deviations(station) == ["Stop for unknown transaction 424242"]


def test_a_stop_queued_across_a_reboot_leaves_the_session_the_reboot_ended(charger16, station, card):
    """Killed mid-session, the charger reboots and reports the EVSE free (the CSMS ends the session from
    its last reading); the stop it had queued arrives afterwards: the end stands and the stop is noted."""
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=20_000, at=T0)
    charger16.meter_values(transaction_id, energy(minutes(15), 22_500), energy(minutes(30), 25_000))
    charger16.boot()
    charger16.status(1, "Available", minutes(60))
    ended = Transaction.objects.get()

    charger16.stop(transaction_id, meter_stop=25_400, at=minutes(35), reason="PowerLoss")

    tx = Transaction.objects.get()
    assert (tx.status, tx.stop_reason, tx.meter_stop_wh, tx.stopped_at, tx.energy_wh) == (
        "completed",
        "EndedByReboot",
        25_000,
        minutes(30),
        5_000,
    )
    assert tx.updated_at == ended.updated_at
    assert deviations(station) == [
        f"Transaction {transaction_id} ended without a stop: the charger rebooted and reported its EVSE free",
        f"Stop for transaction {transaction_id} came after it was ended without a stop (EndedByReboot)",
    ]


def test_a_stop_dated_before_its_start_by_a_reset_clock_completes_once(charger16, card):
    """Clock drift: the charger's clock was set back (NTP) during the session."""
    transaction_id = charger16.session(id_tag="CARD-A", meter_start=1_000, at=T0)
    charger16.stop(transaction_id, meter_stop=4_000, at=T0 - timedelta(minutes=3))
    charger16.stop(transaction_id, meter_stop=4_000, at=T0 - timedelta(minutes=3))

    tx = Transaction.objects.get()
    assert (tx.status, tx.stopped_at, tx.energy_wh, tx.meter_drop_wh) == (
        "completed",
        T0 - timedelta(minutes=3),
        3_000,
        0,
    )
    assert list(DriverSession.objects.values_list("state", flat=True)) == ["completed"]


def test_a_whole_session_over_a_lossy_link_counts_everything_once(charger16, station, card):
    """Every message of the session is sent twice (each first answer lost), the stop once more after a
    reconnect: one transaction, one reading per sample, the meter's energy once."""
    charger16.status(1, "Preparing", T0)
    ids = {charger16.start(id_tag="CARD-A", meter_start=1_000, at=T0).transaction.pk for _ in range(2)}
    (transaction_id,) = ids
    charger16.status(1, "Charging", T0)
    for n in (1, 2, 3):
        for _ in range(2):
            charger16.meter_values(transaction_id, energy(minutes(10 * n), 1_000 + 700 * n))
    for _ in range(3):
        charger16.stop(transaction_id, meter_stop=3_500, at=minutes(35), id_tag="CARD-A")
    charger16.status(1, "Finishing", minutes(35))
    charger16.status(1, "Available", minutes(37))

    tx = Transaction.objects.get()
    assert (tx.status, tx.meter_stop_wh, tx.energy_wh, tx.stop_reason) == ("completed", 3_500, 2_500, "Local")
    assert registers(tx.pk) == [1_700, 2_400, 3_100]
    assert list(DriverSession.objects.values_list("state", flat=True)) == ["completed"]
    assert deviations(station) == []
