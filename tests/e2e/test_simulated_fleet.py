"""Simulated chargers (the `ocpp` package, over real WebSockets) against the real server."""

import pytest
from asgiref.sync import sync_to_async

from sessions.models import MeterValue, Transaction
from simulator import ChargerOptions, FleetOptions, SimulatedCharger, run_fleet
from stations.models import ChargingStation, Connector
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e


def transactions_of(prefix: str) -> list[Transaction]:
    return list(Transaction.objects.filter(station__charge_point_id__startswith=prefix).select_related("station"))


async def test_a_fleet_runs_complete_sessions(server, make_station, make_id_tag):
    for number in range(1, 4):
        await make_station(f"FLEET-{number:04d}", evse_count=1)
    await make_id_tag("FLEET-TAG", allow_concurrent_transactions=True)  # one tag, three chargers at once
    options = FleetOptions(
        url=server.ocpp_url,
        stations=3,
        prefix="FLEET-",
        password=STATION_PASSWORD,
        id_tag="FLEET-TAG",
        meter_interval=0.2,
        session_seconds=1.0,
        sessions=2,
        pause_seconds=0.2,
        speedup=600,
    )
    summary = await run_fleet(options)
    assert summary.failures == [] and summary.booted == 3 and summary.sessions_completed == 6

    txs = await sync_to_async(transactions_of)("FLEET-")
    assert len(txs) == 6 and all(tx.status == "completed" and tx.stop_reason for tx in txs)
    assert sum(tx.energy_wh for tx in txs) == summary.energy_wh > 0
    for tx in txs:
        readings = await sync_to_async(
            lambda: list(
                MeterValue.objects.filter(transaction=tx, measurand="Energy.Active.Import.Register").values_list(
                    "value", flat=True
                )
            )
        )()
        assert readings and readings == sorted(readings) and readings[-1] <= tx.meter_stop_wh
    stations = await sync_to_async(lambda: list(ChargingStation.objects.filter(charge_point_id__startswith="FLEET-")))()
    assert {(s.vendor, s.ocpp_version) for s in stations} == {("Voltstack", "1.6")}
    statuses = await sync_to_async(
        lambda: set(Connector.objects.filter(evse__station__in=stations).values_list("status", flat=True))
    )()
    assert statuses == {"Available"}


async def test_a_session_survives_a_flaky_link(server, make_station, make_id_tag):
    """The link drops mid-session; queued meter values and the stop arrive after the reconnect."""
    await make_station("FLAKY-0001", evse_count=1)
    await make_id_tag("FLAKY-TAG")
    charger = SimulatedCharger(
        "FLAKY-0001",
        server.ocpp_url,
        ChargerOptions(
            password=STATION_PASSWORD, id_tag="FLAKY-TAG", meter_interval=0, speedup=600, reconnect_delay=0.1
        ),
    )
    await charger.connect()
    await charger.boot()
    session = await charger.start_session(1)
    assert await charger.send_meter_values(1)
    await charger.drop_link()
    assert not await charger.send_meter_values(1)  # queued while offline
    await charger.stop_session(reason="EVDisconnected")
    assert charger.pending_messages >= 2
    await charger.reconnect()

    def completed():
        """the queued stop completed the session"""
        return Transaction.objects.filter(pk=session.transaction_id, status="completed").first()

    tx = await eventually(completed)
    await charger.close()
    assert tx.meter_stop_wh == session.meter_stop_wh and tx.stop_reason == "EVDisconnected"
    assert await sync_to_async(Transaction.objects.filter(station__charge_point_id="FLAKY-0001").count)() == 1
    readings = await sync_to_async(
        lambda: MeterValue.objects.filter(transaction=tx, measurand="Energy.Active.Import.Register").count()
    )()
    assert readings >= 2  # the one sent online and the one queued offline
