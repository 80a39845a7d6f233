"""A driver's session on an OCPP 2.0.1 station (the simulated charger): RequestStart/StopTransaction
and TransactionEvents move the same session states as on 1.6."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Transaction
from simulator import ChargerOptions201, SimulatedCharger201
from stations.models import ChargingStation
from tests.api_client import DriverApp, session_until
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e


async def test_start_watch_and_stop_on_a_201_station(server, celery_worker, make_station):
    station = await make_station("V2-DRIVER", evse_count=2)
    charger = SimulatedCharger201(
        "V2-DRIVER",
        server.ocpp_url,
        ChargerOptions201(
            password=STATION_PASSWORD,
            connectors=2,
            id_tag="UNUSED",
            meter_interval=1,
            speedup=60,
            step_delay=0.05,
            reconnect_delay=0.1,
        ),
    )
    await charger.connect()
    await charger.boot()

    def online():
        """the server holds the 2.0.1 socket"""
        return (
            ChargingStation.objects.filter(pk=station.pk, ocpp_version="2.0.1").exclude(connection_channel="").exists()
        )

    await eventually(online)

    app = DriverApp(server)
    account = await app.sign_up("v2@example.com")
    started = await app.post("/api/v1/sessions", {"station_id": "V2-DRIVER", "evse_id": 2, "max_power_kw": 11})
    assert started.status == 202, started.body
    async with app.live(f"/ws/v1/sessions/{started.body['id']}") as live:
        active = await session_until(live, lambda s: s["state"] == "active")
        assert (active["evse_id"], active["connector_id"]) == (2, 1)
        tx = await sync_to_async(Transaction.objects.select_related("id_tag").get)(station=station)
        assert tx.uid and tx.id_tag.id_tag == account["profile"]["app_token"]
        metered = await session_until(live, lambda s: (s["energy_kwh"] or 0) > 0, timeout=15)
        assert metered["power_kw"] is not None and metered["power_kw"] <= 11

        assert (await app.post(f"/api/v1/sessions/{started.body['id']}/stop")).status == 202
        completed = await session_until(live, lambda s: s["state"] == "completed", timeout=15)
    assert completed["energy_kwh"] >= metered["energy_kwh"] and completed["stopped_at"]
    await charger.close()
    await asyncio.sleep(0.2)
