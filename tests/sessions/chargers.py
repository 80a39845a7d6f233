"""Chargers without a socket: each message becomes the service calls its OCPP handler makes.

`Charger16` mirrors csms/ocpp/v16/central_system.py and `Station201` the
TransactionEvent handler of csms/ocpp/v201/central_system.py: the same
services, the same keyword arguments, the same plain values (aware UTC
datetimes, values as text, 1.6 connector N as EVSE N). A test reads as the
charger's message sequence and runs in milliseconds, with no server and no
socket; the e2e tests prove the same rules through a server process.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from sessions import authorization, closing
from sessions.meter import ENERGY_REGISTER, Sample
from sessions.services.meter_values import record_meter_values
from sessions.services.transaction_events import TransactionStep, record_transaction_step
from sessions.services.transactions import StartedTransaction, start_transaction, stop_transaction
from stations.services.boot import BootInfo, record_boot
from stations.services.status import StatusReport, record_status


def energy(at: datetime, wh: int, **fields) -> Sample:
    """One energy register reading, as both handlers read a sampledValue without a measurand."""
    return Sample(timestamp=at, value=str(wh), measurand=ENERGY_REGISTER, unit=fields.pop("unit", "Wh"), **fields)


@dataclass(frozen=True)
class Charger16:
    station_id: int

    def boot(self) -> None:
        """BootNotification: the engine dates the boot by our clock."""
        record_boot(station_id=self.station_id, info=BootInfo(vendor="ABB", model="Terra"), now=timezone.now())

    def status(self, evse_number: int, status: str, at: datetime) -> None:
        record_status(
            station_id=self.station_id,
            evse_number=evse_number,
            connector_number=1,
            report=StatusReport(status=status, error_code="NoError"),
            timestamp=at,
        )
        closing.end_transactions_lost_in_reboot(station_id=self.station_id, evse_number=evse_number, status=status)

    def start(
        self, *, id_tag: str, meter_start: int, at: datetime, evse_number: int = 1, reservation_id: int | None = None
    ) -> StartedTransaction:
        return start_transaction(
            station_id=self.station_id,
            evse_number=evse_number,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            started_at=at,
            reservation_id=reservation_id,
        )

    def meter_values(self, transaction_id: int | None, *samples: Sample, evse_number: int = 1) -> None:
        record_meter_values(
            station_id=self.station_id, evse_number=evse_number, transaction_id=transaction_id, samples=list(samples)
        )

    def stop(
        self,
        transaction_id: int,
        *,
        meter_stop: int,
        at: datetime,
        reason: str = "Local",
        id_tag: str | None = None,
        transaction_data: tuple[Sample, ...] = (),
    ) -> authorization.IdTagInfo | None:
        return stop_transaction(
            station_id=self.station_id,
            transaction_id=transaction_id,
            meter_stop_wh=meter_stop,
            stopped_at=at,
            reason=reason,
            id_tag=id_tag,
            samples=list(transaction_data),
        )

    def session(self, *, id_tag: str, meter_start: int, at: datetime, evse_number: int = 1) -> int:
        """A compliant charger's start: Preparing, StartTransaction, Charging; the transaction id it was given."""
        self.status(evse_number, "Preparing", at)
        started = self.start(id_tag=id_tag, meter_start=meter_start, at=at, evse_number=evse_number)
        self.status(evse_number, "Charging", at)
        return started.transaction.pk


@dataclass(frozen=True)
class Station201:
    station_id: int

    def event(
        self, kind: str, seq_no: int, at: datetime, uid: str, trigger: str, *samples: Sample, **fields
    ) -> authorization.IdTagInfo | None:
        """TransactionEvent: eventType lower-cased, the EVSE (if any) and token as plain values."""
        step = TransactionStep(
            uid=uid, seq_no=seq_no, kind=kind.lower(), trigger=trigger, timestamp=at, samples=samples, **fields
        )
        return record_transaction_step(station_id=self.station_id, step=step)

    def meter_values(self, evse_number: int, *samples: Sample) -> None:
        """2.0.1 MeterValues names no transaction: the station's (or the EVSE's) own meter."""
        record_meter_values(
            station_id=self.station_id, evse_number=evse_number, transaction_id=None, samples=list(samples)
        )
