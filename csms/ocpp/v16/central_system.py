"""OCPP 1.6J: the charger-initiated messages, translated into domain service calls.

Each handler reads the payload into plain values, calls one domain
service, and turns its answer back into the 1.6 response. 1.6 connector N
is EVSE N (with its single connector 1); connector 0 is the station itself.
"""

from django.utils import timezone
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from csms.db import db_async
from csms.ocpp.engine import ProtocolEngine
from csms.ocpp.v16.commands import BUILDERS
from csms.ocpp.values import INT32_MAX, iso, to_datetime, to_int, to_optional_int, to_reservation_id, to_str
from sessions import authorization, closing
from sessions.meter import Sample
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from stations.services.boot import BootInfo
from stations.services.reports import receive_data_transfer, record_diagnostics_status, record_firmware_status
from stations.services.status import StatusReport, record_status


def _id_tag_info(info: authorization.IdTagInfo | None) -> dict | None:
    if info is None:
        return None
    return remove_empty({"status": info.status, "expiryDate": iso(info.expires_at), "parentIdTag": info.parent_id_tag})


def remove_empty(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def _samples(meter_values: list[dict] | None) -> list[Sample]:
    """MeterValue objects (snake_case keys) into samples; signed data is not a number and is skipped."""
    samples = []
    for reading in meter_values or []:
        timestamp = to_datetime(reading.get("timestamp"), "meterValue.timestamp")
        for value in reading.get("sampled_value", []):
            if value.get("format") == "SignedData":
                continue
            samples.append(
                Sample(
                    timestamp=timestamp,
                    value=to_str(value.get("value")),
                    measurand=value.get("measurand") or "Energy.Active.Import.Register",
                    unit=to_str(value.get("unit")),
                    phase=to_str(value.get("phase")),
                    location=to_str(value.get("location")),
                    context=to_str(value.get("context")),
                )
            )
    return samples


class CentralSystem16(ProtocolEngine, ChargePoint):
    allowed_before_acceptance = frozenset(
        {
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "FirmwareStatusNotification",
            "DiagnosticsStatusNotification",
        }
    )
    known_actions = frozenset(a.value for a in Action)
    builders = BUILDERS

    @on(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **optional):
        info = BootInfo(
            vendor=to_str(charge_point_vendor),
            model=to_str(charge_point_model),
            serial_number=to_str(optional.get("charge_point_serial_number")),
            charge_box_serial_number=to_str(optional.get("charge_box_serial_number")),
            firmware_version=to_str(optional.get("firmware_version")),
            iccid=to_str(optional.get("iccid")),
            imsi=to_str(optional.get("imsi")),
            meter_type=to_str(optional.get("meter_type")),
            meter_serial_number=to_str(optional.get("meter_serial_number")),
        )
        status, interval, now = await self.record_boot(info)
        return call_result.BootNotification(current_time=iso(now), interval=interval, status=status)

    @after(Action.boot_notification)
    async def after_boot_notification(self, **_):
        await self.follow_up_boot()

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_):
        return call_result.Heartbeat(current_time=iso(await self.record_heartbeat()))

    @on(Action.status_notification)
    async def on_status_notification(self, connector_id, error_code, status, **optional):
        timestamp = optional.get("timestamp")
        report = StatusReport(
            status=to_str(status),
            error_code=to_str(error_code),
            info=to_str(optional.get("info")),
            vendor_id=to_str(optional.get("vendor_id")),
            vendor_error_code=to_str(optional.get("vendor_error_code")),
        )
        evse_number = to_int(connector_id, "connectorId", minimum=0, maximum=INT32_MAX)  # 1.6: connector N is EVSE N
        await db_async(record_status)(
            station_id=self.station_id,
            evse_number=evse_number,
            connector_number=1,
            report=report,
            timestamp=to_datetime(timestamp, "timestamp") if timestamp else timezone.now(),
        )
        await db_async(closing.end_transactions_lost_in_reboot)(
            station_id=self.station_id, evse_number=evse_number, status=report.status
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag, **_):
        info = await db_async(authorization.authorize)(id_tag=to_str(id_tag), station_id=self.station_id)
        return call_result.Authorize(id_tag_info=_id_tag_info(info))

    @on(Action.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **optional):
        started = await db_async(start_transaction)(
            station_id=self.station_id,
            evse_number=to_int(connector_id, "connectorId", minimum=1, maximum=INT32_MAX),
            id_tag=to_str(id_tag),
            meter_start_wh=to_int(meter_start, "meterStart"),
            started_at=to_datetime(timestamp, "timestamp"),
            reservation_id=to_reservation_id(optional.get("reservation_id")),
        )
        return call_result.StartTransaction(
            transaction_id=started.transaction.pk, id_tag_info=_id_tag_info(started.id_tag_info)
        )

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **optional):
        await db_async(record_meter_values)(
            station_id=self.station_id,
            evse_number=to_int(connector_id, "connectorId", minimum=0, maximum=INT32_MAX),
            transaction_id=to_optional_int(optional.get("transaction_id"), "transactionId"),
            samples=_samples(meter_value),
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **optional):
        info = await db_async(stop_transaction)(
            station_id=self.station_id,
            transaction_id=to_int(transaction_id, "transactionId"),
            meter_stop_wh=to_int(meter_stop, "meterStop"),
            stopped_at=to_datetime(timestamp, "timestamp"),
            reason=to_str(optional.get("reason"), "Local"),
            id_tag=optional.get("id_tag"),
            samples=_samples(optional.get("transaction_data")),
        )
        return call_result.StopTransaction(id_tag_info=_id_tag_info(info))

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **optional):
        answer = await db_async(receive_data_transfer)(
            station_id=self.station_id,
            vendor_id=to_str(vendor_id),
            message_id=to_str(optional.get("message_id")),
            data=to_str(optional.get("data")),
        )
        return call_result.DataTransfer(status=answer.status, data=answer.data)

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, status, **_):
        await db_async(record_diagnostics_status)(station_id=self.station_id, status=to_str(status), now=timezone.now())
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status, **_):
        await db_async(record_firmware_status)(station_id=self.station_id, status=to_str(status), now=timezone.now())
        return call_result.FirmwareStatusNotification()
