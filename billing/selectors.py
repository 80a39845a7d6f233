"""Reads: how a driver pays, which tariff a connector charges a driver, tariff summaries for lists, a session's cost."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing import pricing
from billing.models import BillingAccount, Tariff, TariffAssignment
from billing.summary import TariffSummary, summarise
from billing.tariffs import PREFETCH, pricing_tariff
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT
from sessions.models import AuthorizationStatus, ChargingState, MeterValue, Reservation, Transaction, TransactionEvent
from stations.models import Connector, ConnectorStatus, StatusEvent

CURRENT_IMPORT = "Current.Import"
# OCPI PARKING_TIME: the EV is connected, within the session, and not charging. In OCPP 1.6 terms
# that is a connector idle with its EV (suspended, or Finishing before the stop); energy flowing, or a
# connector that runs no transaction (Preparing: charging about to begin; Available: no EV) is not
# parking; other statuses (Faulted, ...) leave the state as it was.
_PARKING = ConnectorStatus.ev_idle_in_session()
_NOT_PARKING = ConnectorStatus.without_transaction() | {ConnectorStatus.CHARGING}
# A status in force when the transaction starts was reported before it: only a suspended connector
# means the EV is already connected and idle; a Finishing then belongs to the session before.
_PARKING_AT_START = ConnectorStatus.suspended()
_SUSPENDED_201 = {ChargingState.SUSPENDED_EV, ChargingState.SUSPENDED_EVSE}
_PHASES = {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}


class PaysBy(StrEnum):
    CARD = "card"  # each session: a hold at the start, its cost captured at the end, a session invoice
    INVOICE = "invoice"  # fleets: nothing held or captured, one invoice a month


def how_driver_pays(*, driver_id: int) -> PaysBy:
    """The one place that decides: by card, unless the driver's BillingAccount says invoice."""
    if BillingAccount.objects.filter(driver_id=driver_id, pays_by_invoice=True).exists():
        return PaysBy.INVOICE
    return PaysBy.CARD


def invoice_payers() -> QuerySet[BillingAccount]:
    """The accounts billed monthly by invoice (see how_driver_pays), with their drivers."""
    return BillingAccount.objects.filter(pays_by_invoice=True).select_related("driver")


def tariff_for_connector(
    *, connector: Connector, user: AbstractBaseUser | None = None, at: datetime | None = None
) -> Tariff | None:
    """The tariff the connector charges `user` at `at` (default now), by TariffAssignment's precedence."""
    return _tariffs_for(connector_ids=[connector.pk], user=user, at=at or timezone.now()).get(connector.pk)


def assigned_location_ids(assignments: QuerySet[TariffAssignment]) -> set[int]:
    """The locations these assignments apply at (an EVSE's or a connector's station's location)."""
    rows = assignments.values_list("location_id", "evse__station__location_id", "connector__evse__station__location_id")
    return {next(pk for pk in row if pk is not None) for row in rows if any(pk is not None for pk in row)}


def general_tariffs(*, connector_ids: Iterable[int], at: datetime | None = None) -> dict[int, Tariff]:
    """Per connector id, the tariff it charges every driver (no group's contract price) at `at` (default now).

    What the public sees, e.g. roaming partners; connectors without one are left out. A constant number of
    queries, elements and components prefetched.
    """
    return _tariffs_for(connector_ids=list(connector_ids), user=None, at=at or timezone.now())


def published_tariffs() -> QuerySet[Tariff]:
    """The tariffs some location, EVSE or connector charges every driver with: not the groups' contract prices."""
    return (
        Tariff.objects.filter(pk__in=TariffAssignment.objects.filter(group__isnull=True).values("tariff_id"))
        .prefetch_related(*PREFETCH)
        .order_by("pk")
    )


def tariff_summaries(*, connector_ids: Iterable[int], user: AbstractBaseUser | None = None) -> dict[int, TariffSummary]:
    """Per connector id, the summary of the tariff it charges `user` now; connectors without one are left out.

    A constant number of queries whatever the number of connectors: their
    EVSE and location, the driver's groups, the assignments, the tariffs'
    elements and components.
    """
    tariffs = _tariffs_for(connector_ids=list(connector_ids), user=user, at=timezone.now())
    summaries: dict[int, TariffSummary] = {}
    by_tariff: dict[int, TariffSummary] = {}
    for connector_id, tariff in tariffs.items():
        if tariff.pk not in by_tariff:
            by_tariff[tariff.pk] = summarise(pricing_tariff(tariff))
        summaries[connector_id] = by_tariff[tariff.pk]
    return summaries


@dataclass(frozen=True)
class SessionPricing:
    tariff: Tariff
    priced_with: pricing.Tariff  # the tariff as the engine saw it, for a CDR's snapshot
    cdr: pricing.Cdr


def session_cost(*, transaction: Transaction, now: datetime | None = None) -> pricing.Cdr | None:
    """What the session costs (so far, if still running); None when no tariff applies."""
    priced = session_pricing(transaction=transaction, now=now)
    return priced.cdr if priced else None


def session_pricing(*, transaction: Transaction, now: datetime | None = None) -> SessionPricing | None:
    """The session priced with the tariff its connector charged its driver when it started.

    The driver is the owner of the session's id tag, so a fleet's contract
    price applies; when the tariff changes mid-session the driver still pays
    the one they started with. A session that is not billable is not priced.
    """
    if not is_billable(transaction=transaction):
        return None
    connector = Connector.objects.select_related("evse__station__location").get(pk=transaction.connector_id)
    owner = transaction.id_tag.owner if transaction.id_tag_id else None
    tariff = tariff_for_connector(connector=connector, user=owner, at=transaction.started_at)
    if tariff is None:
        return None
    priced_with = pricing_tariff(tariff)
    cdr = pricing.price_session(priced_with, session_timeline(transaction=transaction, connector=connector, now=now))
    return SessionPricing(tariff=tariff, priced_with=priced_with, cdr=cdr)


def is_billable(*, transaction: Transaction) -> bool:
    """Only a session the CSMS authorised is billed (OCPI: an INVALID session is not).

    A refused start (Blocked, Expired, Invalid, ConcurrentTx) gets no CDR, so no
    payment and no invoice line. The status is read as stored when priced: a
    2.0.1 station may name its token after the start, and the stop is priced
    with what was decided by then.
    """
    return transaction.authorization_status == AuthorizationStatus.ACCEPTED


def session_end(*, transaction: Transaction, now: datetime | None = None) -> datetime:
    """The moment a session is priced until.

    A running session ends now, or at its newest reading if the charger's clock
    runs ahead of ours. A stop dated before its start (a charger clock that was
    reset or jumped) cannot say how long the session lasted; our own clock can:
    the session lasted from our receipt of the start (created_at) to our receipt
    of the stop (updated_at, which the stop writes last), and never less than
    its own readings after the start show. See `dated_before_start`.
    """
    start = transaction.started_at
    if transaction.stopped_at is None:
        return max(now or timezone.now(), start, transaction.last_reading_at or start)
    if transaction.stopped_at >= start:
        return transaction.stopped_at
    received = max(transaction.updated_at - transaction.created_at, timedelta(0))
    return max(start + received, transaction.last_reading_at or start)


def dated_before_start(transaction: Transaction) -> bool:
    return transaction.stopped_at is not None and transaction.stopped_at < transaction.started_at


def session_timeline(
    *, transaction: Transaction, connector: Connector, now: datetime | None = None
) -> pricing.SessionTimeline:
    """The engine's view of a stored session: meter readings, charging/parking states, reservation."""
    start = transaction.started_at
    end = session_end(transaction=transaction, now=now)
    location = connector.evse.station.location
    return pricing.SessionTimeline(
        start=start,
        end=end,
        time_zone=location.time_zone if location else "UTC",
        readings=_readings(transaction, end),
        state_changes=_state_changes(transaction, connector.pk, end),
        reservation=_reservation(transaction),
    )


# ------------------------------------------------------------------ tariff precedence


def _tariffs_for(*, connector_ids: list[int], user: AbstractBaseUser | None, at: datetime) -> dict[int, Tariff]:
    rows = Connector.objects.filter(pk__in=connector_ids).values_list("pk", "evse_id", "evse__station__location_id")
    places = {connector: (evse, location) for connector, evse, location in rows}
    if not places:
        return {}
    by_target: dict[tuple[str, int], list[TariffAssignment]] = {}
    for assignment in _valid_assignments(places, _group_ids(user), at):
        by_target.setdefault(_target(assignment), []).append(assignment)
    chosen = {}
    for connector_id, (evse_id, location_id) in places.items():
        levels = (("connector", connector_id), ("evse", evse_id), ("location", location_id))
        for level in levels:
            if level in by_target:
                chosen[connector_id] = min(by_target[level], key=_rank).tariff
                break
    return chosen


def _group_ids(user: AbstractBaseUser | None) -> list[int]:
    if user is None or not user.is_authenticated:
        return []
    return list(user.groups.values_list("pk", flat=True))


def _valid_assignments(places: dict[int, tuple[int, int | None]], group_ids: list[int], at: datetime):
    evse_ids = {evse for evse, _ in places.values()}
    location_ids = {location for _, location in places.values() if location is not None}
    return (
        TariffAssignment.objects.filter(
            Q(connector_id__in=places) | Q(evse_id__in=evse_ids) | Q(location_id__in=location_ids)
        )
        .filter(Q(group__isnull=True) | Q(group_id__in=group_ids))
        .filter(Q(tariff__start_date_time__isnull=True) | Q(tariff__start_date_time__lte=at))
        .filter(Q(tariff__end_date_time__isnull=True) | Q(tariff__end_date_time__gte=at))
        .select_related("tariff")
        .prefetch_related(*(f"tariff__{p}" for p in PREFETCH))
    )


def _target(a: TariffAssignment) -> tuple[str, int]:
    if a.connector_id:
        return ("connector", a.connector_id)
    return ("evse", a.evse_id) if a.evse_id else ("location", a.location_id)


def _rank(a: TariffAssignment) -> tuple:
    """Among assignments of one target, lower wins: a driver group before everyone, then the latest start."""
    started = a.tariff.start_date_time.timestamp() if a.tariff.start_date_time else float("-inf")
    return (a.group_id is None, -started, -a.pk)


# ------------------------------------------------------------------ session timeline


def _readings(transaction: Transaction, end: datetime) -> tuple[pricing.MeterReading, ...]:
    rows = MeterValue.objects.filter(
        transaction=transaction,
        measurand__in=[ENERGY_REGISTER, POWER_IMPORT, CURRENT_IMPORT],
        timestamp__gte=transaction.started_at,
        timestamp__lte=end,
    ).values_list("timestamp", "measurand", "phase", "value")
    by_time: dict[datetime, dict[tuple[str, str], Decimal]] = {}
    for timestamp, measurand, phase, value in rows:
        by_time.setdefault(timestamp, {})[(measurand, phase)] = value
    readings = [_reading(t, values) for t, values in by_time.items()]
    if transaction.meter_start_wh is not None:
        readings.append(pricing.MeterReading(transaction.started_at, transaction.meter_start_wh))
    if transaction.meter_stop_wh is not None and transaction.stopped_at:
        readings.append(pricing.MeterReading(end, transaction.meter_stop_wh))
    return tuple(readings)


def _reading(timestamp: datetime, values: dict[tuple[str, str], Decimal]) -> pricing.MeterReading:
    energy = values.get((ENERGY_REGISTER, ""))
    power = _total(values, POWER_IMPORT)
    return pricing.MeterReading(
        timestamp=timestamp,
        energy_wh=None if energy is None else int(energy),
        power_w=None if power is None else int(power),
        current_a=_total(values, CURRENT_IMPORT),
    )


def _total(values: dict[tuple[str, str], Decimal], measurand: str) -> Decimal | None:
    """The value over all phases: as reported without a phase, else the sum of the phases."""
    if (measurand, "") in values:
        return values[(measurand, "")]
    phases = [v for (m, phase), v in values.items() if m == measurand and phase in _PHASES]
    return sum(phases, Decimal(0)) if phases else None


def _state_changes(transaction: Transaction, connector_id: int, end: datetime) -> tuple[pricing.StateChange, ...]:
    """When the session turns from charging to parking and back, strictly inside [start, end).

    2.0.1 stations say it per transaction (chargingState); 1.6 stations only
    through their connector's status. Time before the start or after the stop
    is never parking, so the Preparing a compliant charger reports just before
    the start and the Finishing just after the stop bill nothing.
    """
    if transaction.uid:
        return _charging_states(transaction, end)
    return _connector_states(transaction.started_at, connector_id, end)


def _connector_states(start: datetime, connector_id: int, end: datetime) -> tuple[pricing.StateChange, ...]:
    events = StatusEvent.objects.filter(connector_id=connector_id)
    in_force = (
        events.filter(timestamp__lte=start).order_by("-timestamp", "-id").values_list("status", flat=True).first()
    )
    changes = [pricing.StateChange(start, False)] if in_force in _PARKING_AT_START else []
    during = (
        events.filter(timestamp__gt=start, timestamp__lt=end, status__in=_PARKING | _NOT_PARKING)
        .order_by("timestamp", "id")
        .values_list("timestamp", "status")
    )
    return tuple(changes + [pricing.StateChange(t, status not in _PARKING) for t, status in during])


def _charging_states(transaction: Transaction, end: datetime) -> tuple[pricing.StateChange, ...]:
    """2.0.1: suspended is parking; EVConnected is parking once charging has been seen (before, it is
    charging about to begin, as 1.6's Preparing); Idle (no EV) is not parking."""
    start = transaction.started_at
    steps = (
        TransactionEvent.objects.filter(transaction=transaction, timestamp__lt=end)
        .exclude(charging_state="")
        .order_by("timestamp", "seq_no")
        .values_list("timestamp", "charging_state")
    )
    changes: list[pricing.StateChange] = []
    charged = False
    for timestamp, state in steps:
        charged = charged or state == ChargingState.CHARGING
        parking = state in _SUSPENDED_201 or (state == ChargingState.EV_CONNECTED and charged)
        changes.append(pricing.StateChange(max(timestamp, start), not parking))
    return tuple(_from_start(changes, start))


def _from_start(changes: list[pricing.StateChange], start: datetime) -> list[pricing.StateChange]:
    """The state in force at the start (the last change at or before it), then the changes after it."""
    before = [c for c in changes if c.timestamp <= start]
    after = [c for c in changes if c.timestamp > start]
    return ([before[-1]] if before and not before[-1].charging else []) + after


def _reservation(transaction: Transaction) -> pricing.ReservationSpan | None:
    if transaction.reservation_id is None:
        return None
    made_at = Reservation.objects.filter(pk=transaction.reservation_id).values_list("created_at", flat=True).first()
    if made_at is None or made_at >= transaction.started_at:
        return None
    return pricing.ReservationSpan(start=made_at, end=transaction.started_at)
