"""OCPP 2.0.1: the station-initiated messages, translated into the same domain services as 1.6.

2.0.1 names EVSEs and their connectors itself, and numbers its own
transactions with strings: both land in the same EVSE/Connector and
Transaction models as 1.6 (the string id in Transaction.uid).
"""

import json

from django.utils import timezone
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action

from csms.db import db_async
from csms.ocpp.engine import ProtocolEngine
from csms.ocpp.errors import CallRefused, Fault
from csms.ocpp.v201.commands import BUILDERS
from csms.ocpp.values import INT32_MAX, iso, to_datetime, to_int, to_optional_int, to_reservation_id, to_str
from sessions import authorization, closing
from sessions import charging_needs as charging_needs_service
from sessions.meter import Sample
from sessions.models import EvChargingNeeds
from sessions.reservations import end_reservation
from sessions.services.meter_values import record_meter_values
from sessions.services.transaction_events import TransactionStep, record_transaction_step
from stations.configuration import DeviceModelAttribute, record_device_model
from stations.models import StationEvent
from stations.services.boot import BootInfo
from stations.services.reports import (
    receive_data_transfer,
    record_diagnostics_status,
    record_firmware_status,
    record_station_event,
)
from stations.services.status import StatusReport, record_status


def _token_info(info: authorization.IdTagInfo | None) -> dict | None:
    if info is None:
        return None
    token = {"status": info.status, "cacheExpiryDateTime": iso(info.expires_at)}
    if info.parent_id_tag:
        token["groupIdToken"] = {"idToken": info.parent_id_tag, "type": "Central"}
    return {k: v for k, v in token.items() if v is not None}


def _samples(meter_values: list[dict] | None) -> tuple[Sample, ...]:
    samples = []
    for reading in meter_values or []:
        timestamp = to_datetime(reading.get("timestamp"), "meterValue.timestamp")
        for value in reading.get("sampled_value", []):
            unit = (value.get("unit_of_measure") or {}).get("unit", "")
            multiplier = (value.get("unit_of_measure") or {}).get("multiplier", 0)
            samples.append(
                Sample(
                    timestamp=timestamp,
                    value=_scaled(value.get("value"), multiplier),
                    measurand=value.get("measurand") or "Energy.Active.Import.Register",
                    unit=to_str(unit),
                    phase=to_str(value.get("phase")),
                    location=to_str(value.get("location")),
                    context=to_str(value.get("context")),
                )
            )
    return tuple(samples)


def _scaled(value, multiplier) -> str:
    """2.0.1 values are numbers with a power-of-ten multiplier on the unit."""
    if not multiplier:
        return to_str(value)
    return f"{value}e{to_int(multiplier, 'unitOfMeasure.multiplier')}"


class CentralSystem201(ProtocolEngine, ChargePoint):
    allowed_before_acceptance = frozenset(
        {"BootNotification", "Heartbeat", "StatusNotification", "NotifyReport", "FirmwareStatusNotification"}
    )
    known_actions = frozenset(a.value for a in Action)
    builders = BUILDERS

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station, reason, **_):
        modem = charging_station.get("modem") or {}
        info = BootInfo(
            vendor=to_str(charging_station.get("vendor_name")),
            model=to_str(charging_station.get("model")),
            serial_number=to_str(charging_station.get("serial_number")),
            firmware_version=to_str(charging_station.get("firmware_version")),
            iccid=to_str(modem.get("iccid")),
            imsi=to_str(modem.get("imsi")),
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
    async def on_status_notification(self, timestamp, connector_status, evse_id, connector_id, **_):
        evse_number = to_int(evse_id, "evseId", minimum=0, maximum=INT32_MAX)
        report = StatusReport(status=to_str(connector_status))
        await db_async(record_status)(
            station_id=self.station_id,
            evse_number=evse_number,
            connector_number=to_int(connector_id, "connectorId", minimum=0, maximum=INT32_MAX),
            report=report,
            timestamp=to_datetime(timestamp, "timestamp"),
        )
        await db_async(closing.end_transactions_lost_in_reboot)(
            station_id=self.station_id, evse_number=evse_number, status=report.status
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token, **_):
        info = await db_async(authorization.authorize)(
            id_tag=to_str(id_token.get("id_token")), station_id=self.station_id
        )
        return call_result.Authorize(id_token_info=_token_info(info))

    @on(Action.transaction_event)
    async def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **optional):
        evse = optional.get("evse") or {}
        id_token = (optional.get("id_token") or {}).get("id_token")
        step = TransactionStep(
            uid=to_str(transaction_info.get("transaction_id")),
            seq_no=to_int(seq_no, "seqNo", minimum=0, maximum=INT32_MAX),
            kind=to_str(event_type).lower(),
            trigger=to_str(trigger_reason),
            timestamp=to_datetime(timestamp, "timestamp"),
            evse_number=to_optional_int(evse.get("id"), "evse.id", minimum=1, maximum=INT32_MAX),
            connector_number=to_int(evse.get("connector_id", 1), "evse.connectorId", minimum=1, maximum=INT32_MAX),
            id_tag=to_str(id_token) if id_token else None,
            samples=_samples(optional.get("meter_value")),
            stopped_reason=to_str(transaction_info.get("stopped_reason")),
            offline=bool(optional.get("offline", False)),
            reservation_id=to_reservation_id(optional.get("reservation_id")),
            charging_state=to_str(transaction_info.get("charging_state")),
        )
        info = await db_async(record_transaction_step)(station_id=self.station_id, step=step)
        return call_result.TransactionEvent(id_token_info=_token_info(info))

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id, meter_value, **_):
        await db_async(record_meter_values)(
            station_id=self.station_id,
            evse_number=to_int(evse_id, "evseId", minimum=0, maximum=INT32_MAX),
            transaction_id=None,
            samples=list(_samples(meter_value)),
        )
        return call_result.MeterValues()

    @on(Action.notify_report)
    async def on_notify_report(self, request_id, generated_at, seq_no, report_data=None, **_):
        attributes = [attribute for entry in report_data or [] for attribute in _device_model(entry)]
        await db_async(record_device_model)(station_id=self.station_id, attributes=attributes)
        return call_result.NotifyReport()

    @on(Action.notify_event)
    async def on_notify_event(self, generated_at, seq_no, event_data, **_):
        for event in event_data:
            component = event.get("component", {}).get("name", "")
            variable = event.get("variable", {}).get("name", "")
            await self._station_event(
                StationEvent.Kind.EVENT,
                f"{component}.{variable} = {event.get('actual_value')} ({event.get('trigger')})",
                event,
                event.get("timestamp"),
            )
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    async def on_security_event_notification(self, type, timestamp, **optional):
        await self._station_event(
            StationEvent.Kind.SECURITY, f"Security: {type}", {"type": type, **optional}, timestamp
        )
        return call_result.SecurityEventNotification()

    @on(Action.notify_charging_limit)
    async def on_notify_charging_limit(self, charging_limit, **optional):
        source = charging_limit.get("charging_limit_source", "")
        await self._station_event(
            StationEvent.Kind.CHARGING_LIMIT,
            f"Charging limit set by {source}",
            {"charging_limit": charging_limit, **optional},
            None,
        )
        return call_result.NotifyChargingLimit()

    @on(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, evse_id, charging_needs, **_):
        """Accepted: the needs feed the plan of the EVSE's transaction, whose profile follows (K15). Rejected
        when the EVSE has no running transaction: there is nothing to plan for yet."""
        stored = await db_async(charging_needs_service.record_car_needs)(
            station_id=self.station_id, needs=_car_needs(evse_id, charging_needs)
        )
        return call_result.NotifyEVChargingNeeds(status="Accepted" if stored else "Rejected")

    @on(Action.report_charging_profiles)
    async def on_report_charging_profiles(self, request_id, charging_limit_source, charging_profile, evse_id, **_):
        await self._station_event(
            StationEvent.Kind.CHARGING_LIMIT,
            f"{len(charging_profile)} charging profile(s) on EVSE {evse_id} ({charging_limit_source})",
            {"request_id": request_id, "evse_id": evse_id, "charging_profile": charging_profile},
            None,
        )
        return call_result.ReportChargingProfiles()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status, **_):
        await db_async(record_firmware_status)(station_id=self.station_id, status=to_str(status), now=timezone.now())
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status_notification(self, status, **_):
        await db_async(record_diagnostics_status)(station_id=self.station_id, status=to_str(status), now=timezone.now())
        return call_result.LogStatusNotification()

    @on(Action.reservation_status_update)
    async def on_reservation_status_update(self, reservation_id, reservation_update_status, **_):
        await db_async(end_reservation)(
            station_id=self.station_id,
            reservation_id=to_int(reservation_id, "reservationId", maximum=INT32_MAX),
            expired=reservation_update_status == "Expired",
        )
        return call_result.ReservationStatusUpdate()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **optional):
        answer = await db_async(receive_data_transfer)(
            station_id=self.station_id,
            vendor_id=to_str(vendor_id),
            message_id=to_str(optional.get("message_id")),
            data=_data_text(optional.get("data")),
        )
        return call_result.DataTransfer(status=answer.status, data=answer.data)

    async def _station_event(self, kind: str, summary: str, details: dict, timestamp) -> None:
        await db_async(record_station_event)(
            station_id=self.station_id,
            kind=kind,
            summary=summary,
            details=details,
            occurred_at=to_datetime(timestamp, "timestamp") if timestamp else timezone.now(),
        )


ENERGY_TRANSFER = {
    "DC": EvChargingNeeds.EnergyTransfer.DC,
    "AC_single_phase": EvChargingNeeds.EnergyTransfer.AC_SINGLE_PHASE,
    "AC_two_phase": EvChargingNeeds.EnergyTransfer.AC_TWO_PHASE,
    "AC_three_phase": EvChargingNeeds.EnergyTransfer.AC_THREE_PHASE,
}


def _car_needs(evse_id, needs: dict) -> charging_needs_service.CarNeeds:
    """chargingNeeds as plain values: AC parameters for an AC transfer, DC parameters for DC."""
    mode = to_str(needs.get("requested_energy_transfer"))
    if mode not in ENERGY_TRANSFER:
        raise CallRefused(Fault.PROPERTY, f"requestedEnergyTransfer is not one of {sorted(ENERGY_TRANSFER)}: {mode!r}")
    ac, dc = needs.get("ac_charging_parameters") or {}, needs.get("dc_charging_parameters") or {}
    departure = needs.get("departure_time")

    def amount(parameters: dict, key: str, name: str) -> int | None:
        return to_optional_int(parameters.get(key), name, minimum=0, maximum=INT32_MAX)

    return charging_needs_service.CarNeeds(
        evse_number=to_int(evse_id, "evseId", minimum=1, maximum=INT32_MAX),
        energy_transfer=ENERGY_TRANSFER[mode],
        departure_at=None if departure is None else to_datetime(departure, "chargingNeeds.departureTime"),
        energy_wh=amount(dc, "energy_amount", "dcChargingParameters.energyAmount")
        if mode == "DC"
        else amount(ac, "energy_amount", "acChargingParameters.energyAmount"),
        min_current_a=amount(ac, "ev_min_current", "acChargingParameters.evMinCurrent"),
        max_current_a=amount(dc, "ev_max_current", "dcChargingParameters.evMaxCurrent")
        if mode == "DC"
        else amount(ac, "ev_max_current", "acChargingParameters.evMaxCurrent"),
        max_voltage_v=amount(dc, "ev_max_voltage", "dcChargingParameters.evMaxVoltage")
        if mode == "DC"
        else amount(ac, "ev_max_voltage", "acChargingParameters.evMaxVoltage"),
        max_power_w=amount(dc, "ev_max_power", "dcChargingParameters.evMaxPower"),
    )


def _data_text(data) -> str:
    """2.0.1 DataTransfer.data is optional and may be any JSON value: kept as the JSON text
    it was sent as (a string as itself, none as empty)."""
    if data is None:
        return ""
    return data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))


def _device_model(entry: dict) -> list[DeviceModelAttribute]:
    component, variable = entry.get("component", {}), entry.get("variable", {})
    evse = component.get("evse") or {}
    characteristics = entry.get("variable_characteristics") or {}
    return [
        DeviceModelAttribute(
            component=to_str(component.get("name")),
            component_instance=to_str(component.get("instance")),
            evse_number=to_int(evse.get("id", 0), "evse.id", minimum=0, maximum=INT32_MAX),
            connector_number=to_int(evse.get("connector_id", 0), "evse.connectorId", minimum=0, maximum=INT32_MAX),
            variable=to_str(variable.get("name")),
            variable_instance=to_str(variable.get("instance")),
            attribute_type=to_str(attribute.get("type"), "Actual"),
            value=attribute.get("value"),
            mutability=to_str(attribute.get("mutability")),
            data_type=to_str(characteristics.get("data_type")),
            unit=to_str(characteristics.get("unit")),
        )
        for attribute in entry.get("variable_attribute", [])
    ]
