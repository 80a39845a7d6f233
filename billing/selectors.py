"""Reads: which tariff a connector charges a driver, tariff summaries for lists, a session's cost."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from billing import pricing
from billing.models import Tariff, TariffAssignment
from billing.summary import TariffSummary, summarise
from billing.tariffs import PREFETCH, pricing_tariff
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT
from sessions.models import MeterValue, Reservation, Transaction
from stations.models import Connector, StatusEvent

CURRENT_IMPORT = "Current.Import"
# OCPI: charging is energy flowing; a plugged-in EV in these states is parked.
CHARGING_STATUSES = {"Charging"}
PARKING_STATUSES = {"SuspendedEV", "SuspendedEVSE", "Finishing", "Preparing"}
_PHASES = {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}


def tariff_for_connector(*, connector: Connector, user: AbstractBaseUser | None = None, at: datetime | None = None) -> Tariff | None:
    """The tariff the connector charges `user` at `at` (default now), by TariffAssignment's precedence."""
    return _tariffs_for(connector_ids=[connector.pk], user=user, at=at or timezone.now()).get(connector.pk)


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
    the one they started with.
    """
    connector = Connector.objects.select_related("evse__station__location").get(pk=transaction.connector_id)
    owner = transaction.id_tag.owner if transaction.id_tag_id else None
    tariff = tariff_for_connector(connector=connector, user=owner, at=transaction.started_at)
    if tariff is None:
        return None
    priced_with = pricing_tariff(tariff)
    cdr = pricing.price_session(priced_with, session_timeline(transaction=transaction, connector=connector, now=now))
    return SessionPricing(tariff=tariff, priced_with=priced_with, cdr=cdr)


def session_timeline(*, transaction: Transaction, connector: Connector, now: datetime | None = None) -> pricing.SessionTimeline:
    """The engine's view of a stored session: meter readings, charging/parking states, reservation."""
    start = transaction.started_at
    # A running session ends now, or at its newest reading if the charger's clock runs ahead of ours.
    end = transaction.stopped_at or max(now or timezone.now(), start, transaction.last_reading_at or start)
    location = connector.evse.station.location
    return pricing.SessionTimeline(
        start=start,
        end=end,
        time_zone=location.time_zone if location else "UTC",
        readings=_readings(transaction, end),
        state_changes=_state_changes(connector.pk, start, end),
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
        TariffAssignment.objects.filter(Q(connector_id__in=places) | Q(evse_id__in=evse_ids) | Q(location_id__in=location_ids))
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
        readings.append(pricing.MeterReading(transaction.stopped_at, transaction.meter_stop_wh))
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


def _state_changes(connector_id: int, start: datetime, end: datetime) -> tuple[pricing.StateChange, ...]:
    relevant = CHARGING_STATUSES | PARKING_STATUSES
    events = StatusEvent.objects.filter(connector_id=connector_id, status__in=relevant)
    before = events.filter(timestamp__lte=start).order_by("-timestamp", "-id").values_list("status", flat=True).first()
    changes = [pricing.StateChange(start, before in CHARGING_STATUSES)] if before else []
    during = events.filter(timestamp__gt=start, timestamp__lt=end).order_by("timestamp", "id").values_list("timestamp", "status")
    return tuple(changes + [pricing.StateChange(t, status in CHARGING_STATUSES) for t, status in during])


def _reservation(transaction: Transaction) -> pricing.ReservationSpan | None:
    if transaction.reservation_id is None:
        return None
    made_at = Reservation.objects.filter(pk=transaction.reservation_id).values_list("created_at", flat=True).first()
    if made_at is None or made_at >= transaction.started_at:
        return None
    return pricing.ReservationSpan(start=made_at, end=transaction.started_at)
