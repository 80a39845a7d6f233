"""What a simulated OCPP 2.0.1 charging station keeps beyond the shared model: EVSEs and transactions.

2.0.1 differs from 1.6 where it matters for a simulator: a station has EVSEs
(each with connectors, here one each) instead of numbered connectors, the
station itself names its transactions (a UUID string) and numbers their
messages (seqNo), and meter values carry numbers with a unitOfMeasure
object.  The energy model is the shared `Meter`; its 1.6-shaped samples are
translated here.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from ocpp.v16.datatypes import MeterValue
from ocpp.v201.datatypes import MeterValueType, SampledValueType, UnitOfMeasureType
from ocpp.v201.enums import ChargingStateEnumType, ConnectorStatusEnumType, IdTokenEnumType, ReasonEnumType
from ocpp.v201.enums import TriggerReasonEnumType as Trigger

from simulator.meter import Meter
from simulator.model import ChargerOptions, Reservation

# The trigger a real station reports with each stoppedReason when nothing more specific is known.
END_TRIGGERS: dict[str, str] = {
    ReasonEnumType.local: Trigger.stop_authorized,
    ReasonEnumType.remote: Trigger.remote_stop,
    ReasonEnumType.ev_disconnected: Trigger.ev_communication_lost,
    ReasonEnumType.de_authorized: Trigger.deauthorized,
    ReasonEnumType.immediate_reset: Trigger.reset_command,
    ReasonEnumType.energy_limit_reached: Trigger.energy_limit_reached,
    ReasonEnumType.time_limit_reached: Trigger.time_limit_reached,
    ReasonEnumType.timeout: Trigger.ev_connect_timeout,
    ReasonEnumType.stopped_by_ev: Trigger.charging_state_changed,
}


@dataclass
class ChargerOptions201(ChargerOptions):
    """ChargerOptions with 2.0.1 defaults.

    `connectors` is the number of EVSEs (one connector each); `id_tag` is the
    idToken presented at the station; `config_overrides` takes device-model
    keys "Component.Variable" or "Component.Variable[instance]".
    """

    model: str = "SimCharger201"
    id_token_type: str = IdTokenEnumType.iso14443
    connector_type: str = "cType2"


def id_token(value: str | dict, token_type: str = IdTokenEnumType.iso14443) -> dict:
    """An IdTokenType as the `ocpp` library hands it around (snake_case); a dict passes through."""
    if isinstance(value, dict):
        return value
    return {"id_token": value, "type": token_type}


def _number(text: str) -> float | int:
    """The 1.6 meter writes strings; 2.0.1 wants numbers, integers kept integral."""
    value = float(text)
    return int(value) if value.is_integer() else value


def meter_value_201(sample: MeterValue) -> MeterValueType:
    """Translate one sample of the shared Meter into a 2.0.1 MeterValueType."""
    return MeterValueType(
        timestamp=sample.timestamp,
        sampled_value=[
            SampledValueType(
                value=_number(v.value),
                context=v.context,
                measurand=v.measurand,
                phase=v.phase,
                location=v.location,
                unit_of_measure=UnitOfMeasureType(unit=v.unit),
            )
            for v in sample.sampled_value
        ],
    )


@dataclass
class Transaction:
    """One 2.0.1 transaction: named by the station, its messages numbered from seqNo 0."""

    evse_id: int
    connector_id: int
    id_token: dict
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remote_start_id: int | None = None
    reservation_id: int | None = None
    started: datetime | None = None
    meter_start_wh: int | None = None
    meter_stop_wh: int | None = None
    stopped_reason: str | None = None
    id_token_status: str | None = None  # idTokenInfo.status of the CSMS's answer, when it gave one
    authorized: bool = False
    charging_state: str = ChargingStateEnumType.ev_connected
    reported_charging_state: str | None = None  # sent only when it changes
    seq_no: int = 0  # the next one to use
    charging_since: float | None = field(default=None, repr=False)  # time.monotonic()
    charged_seconds: float = 0.0
    stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    meter_task: asyncio.Task | None = field(default=None, repr=False)

    @property
    def begun(self) -> bool:
        """Its first TransactionEvent (Started) is made; before that, readings are not the transaction's."""
        return self.seq_no > 0

    @property
    def energy_wh(self) -> int:
        """What the meter advanced from start to stop; 0 until both are known."""
        if self.meter_start_wh is None or self.meter_stop_wh is None:
            return 0
        return self.meter_stop_wh - self.meter_start_wh

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1

    def set_charging(self, charging: bool) -> None:
        """Track timeSpentCharging: only the time energy flowed counts."""
        now = time.monotonic()
        if self.charging_since is not None:
            self.charged_seconds += now - self.charging_since
        self.charging_since = now if charging else None
        self.charging_state = ChargingStateEnumType.charging if charging else ChargingStateEnumType.ev_connected

    @property
    def time_spent_charging(self) -> int:
        running = time.monotonic() - self.charging_since if self.charging_since is not None else 0.0
        return int(self.charged_seconds + running)

    def state_change(self) -> str | None:
        """The chargingState to put into the next TransactionEvent: only a new one is reported."""
        if self.charging_state == self.reported_charging_state:
            return None
        self.reported_charging_state = self.charging_state
        return self.charging_state


@dataclass
class Evse:
    """One EVSE with its single connector, the EV plugged into it, and what holds it."""

    evse_id: int
    meter: Meter
    connector_id: int = 1
    status: str | None = None  # last connectorStatus reported
    operative: bool = True
    scheduled_operative: bool | None = None  # ChangeAvailability waiting for the transaction to end
    faulted: bool = False
    plugged: bool = False
    transaction: Transaction | None = None
    reservation: Reservation | None = None

    @property
    def running(self) -> Transaction | None:
        """The transaction that is not already being stopped."""
        tx = self.transaction
        return tx if tx is not None and not tx.stopping.is_set() else None

    def connector_status(self, station_operative: bool) -> str:
        """What StatusNotification says about the connector now."""
        if self.faulted:
            return ConnectorStatusEnumType.faulted
        if not (self.operative and station_operative):
            return ConnectorStatusEnumType.unavailable
        if self.plugged or self.transaction is not None:
            return ConnectorStatusEnumType.occupied
        if self.reservation is not None:
            return ConnectorStatusEnumType.reserved
        return ConnectorStatusEnumType.available
