"""OCPP 2.0.1 through the real server: the same domain as 1.6, from 2.0.1's own messages."""

import asyncio
import json
from datetime import UTC

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp import commands
from csms.ocpp.commands import Variable
from sessions import remote_control
from sessions.models import MeterValue, Reservation, Transaction, TransactionEvent
from stations import configuration
from stations.models import ChargingStation, Connector, DataTransferMessage, DeviceModelVariable, StationEvent
from tests.conftest import eventually
from tests.ocpp_client import answer, call, open_socket

pytestmark = pytest.mark.e2e

V201 = ("ocpp2.0.1",)
BOOT = {
    "reason": "PowerUp",
    "chargingStation": {
        "model": "Terra AC",
        "vendorName": "ABB",
        "serialNumber": "T-201",
        "firmwareVersion": "2.0.1-7",
        "modem": {"iccid": "8931", "imsi": "2040"},
    },
}


def energy(wh: float, timestamp: str, context: str = "Sample.Periodic", extra: list | None = None) -> list:
    sampled = [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "context": context, "unitOfMeasure": {"unit": "Wh"}}
    ]
    return [{"timestamp": timestamp, "sampledValue": sampled + (extra or [])}]


def event(kind: str, seq: int, timestamp: str, uid: str, trigger: str, **fields) -> dict:
    info = {"transactionId": uid, **fields.pop("info", {})}
    return {
        "eventType": kind,
        "timestamp": timestamp,
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": info,
        **fields,
    }


async def test_201_is_negotiated_and_preferred(server, make_station):
    await make_station("V2-NEG")
    async with open_socket(server, "V2-NEG", subprotocols=("ocpp1.6", "ocpp2.0.1")) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="V2-NEG")
    assert (station.ocpp_version, station.vendor, station.model, station.firmware_version, station.iccid) == (
        "2.0.1",
        "ABB",
        "Terra AC",
        "2.0.1-7",
        "8931",
    )


async def test_201_transaction_lands_in_the_same_domain(server, make_station, make_id_tag):
    station = await make_station("V2-TX")
    await make_id_tag("V2-TOKEN")
    uid = "3f9c1e4a-7f0b-4f8e-9a51-2c7d3b1e0a11"
    async with open_socket(server, "V2-TX", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        status = {"timestamp": "2026-11-21T09:59:00Z", "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}
        assert (await call(ws, "StatusNotification", status))[2] == {}
        auth = await call(ws, "Authorize", {"idToken": {"idToken": "V2-TOKEN", "type": "ISO14443"}})
        assert auth[2]["idTokenInfo"]["status"] == "Accepted"
        token = {"idToken": "V2-TOKEN", "type": "ISO14443"}
        started = await call(
            ws,
            "TransactionEvent",
            event(
                "Started",
                0,
                "2026-11-21T10:00:00Z",
                uid,
                "Authorized",
                idToken=token,
                evse={"id": 1, "connectorId": 1},
                meterValue=energy(1000, "2026-11-21T10:00:00Z", "Transaction.Begin"),
                info={"chargingState": "Charging"},
            ),
        )
        assert started[2]["idTokenInfo"]["status"] == "Accepted"
        power = [{"value": 11.0, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}}]
        updated = event(
            "Updated",
            1,
            "2026-11-21T10:15:00Z",
            uid,
            "MeterValuePeriodic",
            meterValue=energy(2500, "2026-11-21T10:15:00Z", extra=power),
        )
        assert (await call(ws, "TransactionEvent", updated))[2] == {}
        assert (await call(ws, "TransactionEvent", updated))[2] == {}  # re-sent: nothing new
        ended = event(
            "Ended",
            2,
            "2026-11-21T10:30:00Z",
            uid,
            "EVCommunicationLost",
            meterValue=energy(4000, "2026-11-21T10:30:00Z", "Transaction.End"),
            info={"stoppedReason": "EVDisconnected"},
        )
        assert (await call(ws, "TransactionEvent", ended))[2] == {}

    tx = await sync_to_async(Transaction.objects.select_related("connector__evse").get)(uid=uid)
    assert (tx.station_id, tx.connector.evse.number, tx.id_tag_value) == (station.pk, 1, "V2-TOKEN")
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("completed", 1000, 4000, 3000)
    assert tx.stop_reason == "EVDisconnected" and tx.last_power_w == 11000  # kW-scaled by the multiplier
    assert await sync_to_async(lambda: list(tx.events.values_list("seq_no", "kind")))() == [
        (0, "started"),
        (1, "updated"),
        (2, "ended"),
    ]
    assert (
        await sync_to_async(
            MeterValue.objects.filter(transaction=tx, measurand="Energy.Active.Import.Register").count
        )()
        == 3
    )
    connector = await sync_to_async(Connector.objects.get)(evse__station=station, evse__number=1)
    assert connector.status == "Occupied"


async def test_201_offline_queued_events_complete_the_transaction(server, make_station):
    await make_station("V2-OFF")
    uid = "offline-0001"
    async with open_socket(server, "V2-OFF", subprotocols=V201) as ws:
        for seq, (kind, trigger, ts, wh) in enumerate(
            [
                ("Started", "CablePluggedIn", "2026-11-21T07:00:00Z", 500),
                ("Updated", "MeterValuePeriodic", "2026-11-21T07:30:00Z", 1500),
                ("Ended", "EVCommunicationLost", "2026-11-21T08:00:00Z", 2600),
            ]
        ):
            frame = event(
                kind, seq, ts, uid, trigger, offline=True, evse={"id": 2, "connectorId": 1}, meterValue=energy(wh, ts)
            )
            assert (await call(ws, "TransactionEvent", frame))[0] == 3
    tx = await sync_to_async(Transaction.objects.get)(uid=uid)
    assert (tx.status, tx.energy_wh, tx.stopped_at.isoformat()) == ("completed", 2100, "2026-11-21T08:00:00+00:00")
    assert await sync_to_async(TransactionEvent.objects.filter(transaction=tx, offline=True).count)() == 3


async def test_201_reports_and_notifications_are_kept(server, make_station):
    station = await make_station("V2-NOTE")
    reservation = await sync_to_async(Reservation.objects.create)(
        station=station, evse_number=1, id_tag="T", expires_at="2026-11-21T11:00:00Z", status="accepted"
    )
    report = {
        "requestId": 5,
        "generatedAt": "2026-11-21T10:00:00Z",
        "seqNo": 0,
        "tbc": False,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
                "variableCharacteristics": {"dataType": "integer", "unit": "s", "supportsMonitoring": False},
            },
            {
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "ConnectorType"},
                "variableAttribute": [{"type": "Actual", "value": "cType2", "mutability": "ReadOnly"}],
            },
        ],
    }
    async with open_socket(server, "V2-NOTE", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        assert (await call(ws, "NotifyReport", report))[2] == {}
        notify_event = {
            "generatedAt": "2026-11-21T10:01:00Z",
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": 1,
                    "timestamp": "2026-11-21T10:01:00Z",
                    "trigger": "Delta",
                    "actualValue": "Faulted",
                    "component": {"name": "Connector"},
                    "variable": {"name": "AvailabilityState"},
                    "eventNotificationType": "HardWiredNotification",
                }
            ],
        }
        assert (await call(ws, "NotifyEvent", notify_event))[2] == {}
        assert (
            await call(
                ws, "SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": "2026-11-21T10:02:00Z"}
            )
        )[2] == {}
        assert (await call(ws, "FirmwareStatusNotification", {"status": "Installed", "requestId": 3}))[2] == {}
        assert (await call(ws, "LogStatusNotification", {"status": "Uploaded", "requestId": 4}))[2] == {}
        assert (
            await call(
                ws, "ReservationStatusUpdate", {"reservationId": reservation.pk, "reservationUpdateStatus": "Expired"}
            )
        )[2] == {}
        assert (await call(ws, "NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "EMS"}, "evseId": 1}))[
            2
        ] == {}
        assert (await call(ws, "DataTransfer", {"vendorId": "org.unknown", "data": {"a": 1}}))[2] == {
            "status": "UnknownVendorId"
        }
        meter = {"evseId": 0, "meterValue": energy(123456, "2026-11-21T10:03:00Z")}
        assert (await call(ws, "MeterValues", meter))[2] == {}

    variables = await sync_to_async(
        lambda: {
            (v.component, v.evse_number, v.variable): (v.value, v.mutability, v.unit)
            for v in DeviceModelVariable.objects.filter(station=station)
        }
    )()
    assert variables == {
        ("OCPPCommCtrlr", 0, "HeartbeatInterval"): ("300", "ReadWrite", "s"),
        ("Connector", 1, "ConnectorType"): ("cType2", "ReadOnly", ""),
    }
    kinds = await sync_to_async(
        lambda: sorted(
            StationEvent.objects.filter(station=station)
            .exclude(kind__in=["boot", "link"])
            .values_list("kind", flat=True)
        )
    )()
    assert kinds == ["charging_limit", "diagnostics", "event", "firmware", "security"]
    station = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert (station.firmware_status, station.diagnostics_status) == ("Installed", "Uploaded")
    assert (await sync_to_async(Reservation.objects.get)(pk=reservation.pk)).status == "expired"
    assert await sync_to_async(DataTransferMessage.objects.filter(station=station, data='{"a":1}').exists)()
    assert await sync_to_async(MeterValue.objects.filter(station=station, transaction=None, value=123456).exists)()


async def test_201_commands_speak_201(server, make_station):
    station = await make_station("V2-CMD")
    async with open_socket(server, "V2-CMD", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        follow_up = await answer(ws, follow_ups=True)  # the configuration read after an Accepted boot
        assert follow_up[2:] == [
            "GetBaseReport",
            {"requestId": follow_up[3]["requestId"], "reportBase": "ConfigurationInventory"},
        ]
        await ws.send(json.dumps([3, follow_up[1], {"status": "Accepted"}]))
        with pytest.raises(commands.CommandNotSupported):
            await configuration.get_configuration(station_id=station.pk)  # 1.6 only: nothing is sent

        pending = asyncio.ensure_future(
            configuration.get_variables(
                station_id=station.pk, variables=[Variable("OCPPCommCtrlr", "HeartbeatInterval")]
            )
        )
        request = await answer(ws)
        assert request[2] == "GetVariables"
        assert request[3] == {
            "getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]
        }
        result = {
            "attributeStatus": "Accepted",
            "attributeValue": "120",
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
        }
        await ws.send(json.dumps([3, request[1], {"getVariableResult": [result]}]))
        await pending
        kept = await sync_to_async(DeviceModelVariable.objects.get)(station=station, variable="HeartbeatInterval")
        assert kept.value == "120"

        pending = asyncio.ensure_future(commands.send(station.pk, commands.Reset(hard=True)))
        request = await answer(ws)
        assert request[2:] == ["Reset", {"type": "Immediate"}]
        await ws.send(json.dumps([3, request[1], {"status": "Accepted"}]))
        assert (await pending).status == "Accepted"

        tx = await sync_to_async(Transaction.objects.create)(
            station=station,
            connector=await sync_to_async(lambda: Connector.objects.filter(evse__station=station).first())(),
            uid="tx-201-a",
            id_tag_value="T",
            authorization_status="Accepted",
            started_at="2026-11-21T10:00:00Z",
        )
        pending = asyncio.ensure_future(remote_control.remote_stop(transaction_id=tx.pk))
        request = await answer(ws)
        assert request[2:] == ["RequestStopTransaction", {"transactionId": "tx-201-a"}]
        await ws.send(json.dumps([3, request[1], {"status": "Rejected"}]))
        with pytest.raises(commands.CommandRejected):
            await pending


@pytest.mark.parametrize(
    "frame, code",
    [
        ('[2,"e1","Heartbeat",{', "FormatViolation"),
        ('[2,"e2","Heartbeat"]', "RpcFrameworkError"),
        ('[5,"e3",{}]', "MessageTypeNotSupported"),
        ('[2,"e4","FooBar",{}]', "NotImplemented"),
        (
            '[2,"e5","RequestStartTransaction",{"idToken":{"idToken":"T","type":"Central"},"remoteStartId":1}]',
            "NotSupported",
        ),
        ('[2,"e6","TransactionEvent",{"eventType":"Started"}]', "OccurrenceConstraintViolation"),
        (
            '[2,"e7","StatusNotification",{"timestamp":"2026-11-21T10:00:00Z","connectorStatus":"Broken","evseId":1,"connectorId":1}]',
            "PropertyConstraintViolation",
        ),
        ('[2,"e8","Heartbeat",{"extra":1}]', "FormatViolation"),
    ],
)
async def test_201_bad_input_gets_the_201_error_codes(server, make_station, frame, code):
    await make_station("V2-BAD")
    async with open_socket(server, "V2-BAD", subprotocols=V201) as ws:
        await ws.send(frame)
        reply = await answer(ws)
        assert reply[:3] == [4, frame.split('"')[1], code]
        assert (await call(ws, "Heartbeat", {}))[0] == 3  # the connection lives on


async def _priced_location():
    """A location whose tariff charges energy and time, so a lost register or a shifted reading shows in the cents."""
    from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
    from stations.models import Location

    def make():
        location = Location.objects.create(
            name="Same metering", latitude=52.5, longitude=13.4, time_zone="Europe/Berlin"
        )
        tariff = Tariff.objects.create(tariff_id="SAME-METERING")
        element = TariffElement.objects.create(tariff=tariff, position=0)
        PriceComponent.objects.create(element=element, type="ENERGY", price="0.40", step_size=1, vat="19")
        PriceComponent.objects.create(element=element, type="TIME", price="2.00", step_size=60, vat="19")
        TariffAssignment.objects.create(tariff=tariff, location=location)
        return location

    return await sync_to_async(make)()


async def test_201_without_a_begin_reading_meters_and_bills_like_16(server, celery_worker, make_station, make_id_tag):
    """One session, metered alike: 1.6 sends meterStart/MeterValues/meterStop; the 2.0.1 station has no
    TxStartedMeasurands (Started carries no reading), reports a periodic register in Updated, and its
    Ended carries the TxEndedMeasurands samples taken since the start (Sample.Periodic) and the final one
    (Transaction.End). Both must store the same energy and the same CDR."""
    from billing.models import ChargeDetailRecord

    location = await _priced_location()
    for charge_point_id in ("SAME-16", "SAME-201"):
        await make_station(charge_point_id, location=location)
    await make_id_tag("SAME-TAG-16")
    await make_id_tag("SAME-TAG-201")

    async with open_socket(server, "SAME-16") as ws:
        await call(ws, "BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"})
        started = await call(
            ws,
            "StartTransaction",
            {"connectorId": 1, "idTag": "SAME-TAG-16", "meterStart": 1000, "timestamp": "2026-11-21T10:00:00Z"},
        )
        tx16 = started[2]["transactionId"]
        sampled = [
            {"value": "2500", "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic", "unit": "Wh"}
        ]
        meter = {
            "connectorId": 1,
            "transactionId": tx16,
            "meterValue": [{"timestamp": "2026-11-21T10:15:00Z", "sampledValue": sampled}],
        }
        assert (await call(ws, "MeterValues", meter))[2] == {}
        stop = {
            "transactionId": tx16,
            "meterStop": 4000,
            "timestamp": "2026-11-21T10:30:00Z",
            "reason": "EVDisconnected",
        }
        assert (await call(ws, "StopTransaction", stop))[0] == 3

    uid = "same-metering-201"
    async with open_socket(server, "SAME-201", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        token = {"idToken": "SAME-TAG-201", "type": "ISO14443"}
        await call(
            ws,
            "TransactionEvent",
            event(
                "Started", 0, "2026-11-21T10:00:00Z", uid, "Authorized", idToken=token, evse={"id": 1, "connectorId": 1}
            ),
        )
        await call(
            ws,
            "TransactionEvent",
            event(
                "Updated",
                1,
                "2026-11-21T10:15:00Z",
                uid,
                "MeterValuePeriodic",
                meterValue=energy(2500, "2026-11-21T10:15:00Z"),
            ),
        )
        ended_samples = (
            energy(1000, "2026-11-21T10:00:00Z")
            + energy(2500, "2026-11-21T10:15:00Z")
            + energy(4000, "2026-11-21T10:30:00Z", "Transaction.End")
        )
        ended = event(
            "Ended",
            2,
            "2026-11-21T10:30:00Z",
            uid,
            "EVCommunicationLost",
            meterValue=ended_samples,
            info={"stoppedReason": "EVDisconnected"},
        )
        assert (await call(ws, "TransactionEvent", ended))[2] == {}

    by_version = {}
    for key, lookup in (("1.6", {"pk": tx16}), ("2.0.1", {"uid": uid})):
        tx = await sync_to_async(Transaction.objects.get)(**lookup)
        cdr = await eventually(  # sealed by the Celery worker once billing hears of the stop
            lambda tx=tx: ChargeDetailRecord.objects.filter(transaction=tx).first(), timeout=15.0
        )
        by_version[key] = (
            tx.started_at,
            tx.stopped_at,
            tx.meter_start_wh,
            tx.meter_stop_wh,
            tx.energy_wh,
            cdr.total_energy_wh,
            cdr.total_time,
            cdr.total_cost_excl_vat,
            cdr.total_cost_incl_vat,
        )
    assert by_version["1.6"][2:6] == (1000, 4000, 3000, 3000)
    assert by_version["2.0.1"] == by_version["1.6"]


async def test_201_events_out_of_order_lose_no_energy(server, make_station, make_id_tag):
    """Queued offline events delivered out of order (seqNo 1, 0, 2): the late Started still gives the
    transaction its start time, EVSE, token and start register; no Wh is lost."""
    station = await make_station("V2-ORDER")
    await make_id_tag("ORDER-TOKEN")
    uid = "out-of-order-0001"
    token = {"idToken": "ORDER-TOKEN", "type": "ISO14443"}
    started = event(
        "Started",
        0,
        "2026-11-21T07:00:00Z",
        uid,
        "Authorized",
        offline=True,
        idToken=token,
        evse={"id": 2, "connectorId": 1},
        meterValue=energy(500, "2026-11-21T07:00:00Z", "Transaction.Begin"),
    )
    updated = event(
        "Updated",
        1,
        "2026-11-21T07:30:00Z",
        uid,
        "MeterValuePeriodic",
        offline=True,
        meterValue=energy(1000, "2026-11-21T07:30:00Z"),
    )
    ended = event(
        "Ended",
        2,
        "2026-11-21T08:00:00Z",
        uid,
        "EVCommunicationLost",
        offline=True,
        meterValue=energy(2600, "2026-11-21T08:00:00Z", "Transaction.End"),
        info={"stoppedReason": "EVDisconnected"},
    )
    async with open_socket(server, "V2-ORDER", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        assert (await call(ws, "TransactionEvent", updated))[2] == {}
        answered = await call(ws, "TransactionEvent", started)
        assert answered[2]["idTokenInfo"]["status"] == "Accepted"
        assert (await call(ws, "TransactionEvent", ended))[2] == {}

    tx = await sync_to_async(Transaction.objects.select_related("connector__evse").get)(uid=uid)
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("completed", 500, 2600, 2100)
    assert (tx.started_at.isoformat(), tx.stopped_at.isoformat()) == (
        "2026-11-21T07:00:00+00:00",
        "2026-11-21T08:00:00+00:00",
    )
    assert (tx.id_tag_value, tx.authorization_status, tx.connector.evse.number) == ("ORDER-TOKEN", "Accepted", 2)
    readings = await sync_to_async(
        lambda: set(MeterValue.objects.filter(transaction=tx).values_list("evse_number", "connector_id"))
    )()
    assert readings == {(2, tx.connector_id)}
    assert await sync_to_async(lambda: list(tx.events.values_list("seq_no", "kind")))() == [
        (0, "started"),
        (1, "updated"),
        (2, "ended"),
    ]
    assert await sync_to_async(Transaction.objects.filter(station=station).count)() == 1


async def test_201_a_status_dated_2099_does_not_freeze_the_connector(server, make_station):
    from datetime import datetime

    from stations.models import StatusEvent

    station = await make_station("V2-2099")
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    async with open_socket(server, "V2-2099", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        faulted = {"timestamp": "2099-01-01T00:00:00Z", "connectorStatus": "Faulted", "evseId": 1, "connectorId": 1}
        assert (await call(ws, "StatusNotification", faulted))[2] == {}
        available = {"timestamp": now, "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
        assert (await call(ws, "StatusNotification", available))[2] == {}

    connector = await sync_to_async(Connector.objects.get)(evse__station=station, evse__number=1)
    assert connector.status == "Available"
    history = await sync_to_async(
        lambda: list(StatusEvent.objects.filter(connector=connector).order_by("id").values_list("status", flat=True))
    )()
    assert history == ["Faulted", "Available"]
    assert await sync_to_async(StatusEvent.objects.filter(connector=connector, station_timestamp__year=2099).exists)()
    deviation = await sync_to_async(StationEvent.objects.get)(station=station, kind="deviation")
    assert deviation.summary.startswith("Clock skew") and deviation.details["skew_seconds"] > 2_000_000_000


async def test_201_transactions_the_charger_forgot_end_from_their_last_reading(server, make_station, make_id_tag):
    """Issue 9 #9 and #21 over 2.0.1: a charger killed mid-session reboots and reports its EVSE
    Available (the transaction ends, billed from its last reading), and a new transaction on an
    EVSE whose previous one was never ended replaces it (ended at the new start)."""
    await make_station("V2-FORGOT")
    await make_id_tag("FORGOT-TOKEN")
    token = {"idToken": "FORGOT-TOKEN", "type": "ISO14443"}
    lost_in_reboot = [
        event(
            "Started",
            0,
            "2026-11-21T07:00:00Z",
            "reboot-lost",
            "Authorized",
            idToken=token,
            evse={"id": 1, "connectorId": 1},
            meterValue=energy(1000, "2026-11-21T07:00:00Z", "Transaction.Begin"),
        ),
        event(
            "Updated",
            1,
            "2026-11-21T07:15:00Z",
            "reboot-lost",
            "MeterValuePeriodic",
            meterValue=energy(1800, "2026-11-21T07:15:00Z"),
        ),
    ]
    replaced = event(
        "Started",
        0,
        "2026-11-21T08:00:00Z",
        "replaced",
        "Authorized",
        idToken=token,
        evse={"id": 2, "connectorId": 1},
        meterValue=energy(5000, "2026-11-21T08:00:00Z", "Transaction.Begin"),
    )
    successor = event(
        "Started",
        0,
        "2026-11-21T09:00:00Z",
        "successor",
        "Authorized",
        idToken=token,
        evse={"id": 2, "connectorId": 1},
        meterValue=energy(6000, "2026-11-21T09:00:00Z", "Transaction.Begin"),
    )
    async with open_socket(server, "V2-FORGOT", subprotocols=V201) as ws:
        await call(ws, "BootNotification", BOOT)
        for step in lost_in_reboot:
            await call(ws, "TransactionEvent", step)
    async with open_socket(server, "V2-FORGOT", subprotocols=V201) as ws:  # the charger rebooted
        await call(ws, "BootNotification", BOOT)
        available = {"timestamp": "2026-11-21T07:20:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
        assert (await call(ws, "StatusNotification", available))[2] == {}
        assert (await call(ws, "TransactionEvent", replaced))[2]["idTokenInfo"]["status"] == "Accepted"
        assert (await call(ws, "TransactionEvent", successor))[2]["idTokenInfo"]["status"] == "Accepted"

    ended = await sync_to_async(
        lambda: {
            tx.uid: (
                tx.status,
                tx.stop_reason,
                tx.meter_stop_wh,
                tx.energy_wh,
                tx.stopped_at.isoformat() if tx.stopped_at else None,
            )
            for tx in Transaction.objects.filter(station__charge_point_id="V2-FORGOT")
        }
    )()
    assert ended == {
        "reboot-lost": ("completed", "EndedByReboot", 1800, 800, "2026-11-21T07:15:00+00:00"),
        "replaced": ("completed", "EndedByNewStart", 5000, 0, "2026-11-21T09:00:00+00:00"),
        "successor": ("active", "", None, 0, None),
    }
