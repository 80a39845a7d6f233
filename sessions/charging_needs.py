"""What a charging session needs by when: the driver's word (departure time and energy, through the
drivers' API) and the car's (OCPP 2.0.1 NotifyEVChargingNeeds). Smart charging plans to them; it reads
them through sessions.selectors.charging_needs and hears of changes as ChargingNeedsChanged.

The driver's word is kept on their DriverSession, the car's on EvChargingNeeds (one row per transaction,
the last report replacing the one before). Neither overwrites the other: the selector decides which counts.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.utils import timezone

from csms import lifecycle
from sessions.events import ChargingNeedsChanged
from sessions.models import DriverSession, EvChargingNeeds, Transaction

# What a driver may ask for: a departure within two days (a plan covers 24 h; a later departure is a
# typo more often than a plan), and at most 250 kWh (more than any car's battery holds).
MAX_DEPARTURE_AHEAD = timedelta(hours=48)
MAX_ENERGY_WH = 250_000


class Source(StrEnum):
    DRIVER = "driver"
    CAR = "car"


class NeedsRefused(Exception):
    """A driver's needs cannot be changed now; `code` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CarNeeds:
    """A NotifyEVChargingNeeds, as plain values (units as OCPP sends them: Wh, A, V, W)."""

    evse_number: int
    energy_transfer: str  # an EvChargingNeeds.EnergyTransfer
    departure_at: datetime | None = None
    energy_wh: int | None = None
    min_current_a: int | None = None
    max_current_a: int | None = None
    max_voltage_v: int | None = None
    max_power_w: int | None = None


@dataclass(frozen=True)
class Needs:
    """What one transaction needs, as a plan reads it: each of departure and energy from the driver when
    they gave it, else from the car (the driver knows their day; a car's departure is often a default
    set in its menu). The source is None when neither told. The car's limits come only from the car."""

    departure_at: datetime | None
    departure_source: Source | None
    energy_wh: int | None
    energy_source: Source | None
    energy_transfer: str | None = None  # an EvChargingNeeds.EnergyTransfer; None: the car reported nothing
    min_current_a: int | None = None
    max_current_a: int | None = None
    max_power_w: int | None = None


UNCHANGED: Any = object()  # a need the driver left out of their change
CHANGEABLE_STATES = (DriverSession.State.PENDING, DriverSession.State.ACTIVE)


def change_driver_needs(
    *, session: DriverSession, departure_at: datetime | None = UNCHANGED, energy_wanted_wh: int | None = UNCHANGED
) -> DriverSession:
    """Set or clear (None) the driver's departure and energy while the session is pending or active; a
    running transaction's plan hears of it. What is left UNCHANGED stays as it is."""
    fields: dict = {}
    if departure_at is not UNCHANGED:
        fields.update(departure_at=departure_at)
    if energy_wanted_wh is not UNCHANGED:
        fields.update(energy_wanted_wh=energy_wanted_wh)
    if not fields:
        return session
    moved = DriverSession.objects.filter(pk=session.pk, state__in=CHANGEABLE_STATES).update(
        **fields, updated_at=timezone.now()
    )
    session.refresh_from_db()
    if not moved:
        raise NeedsRefused(
            "session_ended", f"The session is {session.state}; its departure and energy can no longer change."
        )
    if session.transaction_id is not None:
        _published(session.transaction_id, session.station_id, Source.DRIVER)
    return session


def driver_needs_attached(*, session: DriverSession, tx: Transaction) -> None:
    """The charger started the driver's session: a plan can now use the needs the driver gave at the start."""
    if session.departure_at is not None or session.energy_wanted_wh is not None:
        _published(tx.pk, tx.station_id, Source.DRIVER)


def record_car_needs(*, station_id: int, needs: CarNeeds) -> bool:
    """Keep what the car on the EVSE reported for its running transaction; False when the EVSE has none
    (the car reports before the transaction starts, or after it ended): there is nothing to plan for."""
    tx = (
        Transaction.objects.filter(
            station_id=station_id, connector__evse__number=needs.evse_number, status=Transaction.Status.ACTIVE
        )
        .order_by("-started_at", "-pk")
        .first()
    )
    if tx is None:
        return False
    values = asdict(needs)
    del values["evse_number"]  # it named the transaction; the rest is what the car needs
    EvChargingNeeds.objects.update_or_create(transaction=tx, defaults=dict(values, reported_at=timezone.now()))
    _published(tx.pk, tx.station_id, Source.CAR)
    return True


def _published(transaction_id: int, station_id: int, source: Source) -> None:
    lifecycle.publish(ChargingNeedsChanged(transaction_id=transaction_id, station_id=station_id, source=source))
