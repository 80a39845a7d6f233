"""A simulated charger whose own start the CSMS refused never stops a driver's session on that
connector (issue 9, item 32): it ends only what it started itself."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from sessions.models import DriverSession, Transaction
from simulator import ChargerOptions, FleetOptions, SimulatedCharger
from simulator.fleet import _run_sessions
from tests.api_client import DriverApp
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e

CARD = "CARD-32"
OWN_SESSION_SECONDS = 8.0


async def booted(server, charge_point_id: str, **overrides) -> SimulatedCharger:
    charger = SimulatedCharger(
        charge_point_id,
        server.ocpp_url,
        ChargerOptions(
            password=STATION_PASSWORD, id_tag=CARD, meter_interval=0, speedup=600, config_overrides=overrides
        ),
    )
    await charger.connect()
    await charger.boot()
    return charger


@pytest.mark.timeout(240)
async def test_a_charger_whose_start_was_refused_leaves_the_drivers_app_session_alone(
    server, celery_worker, make_station, make_id_tag
):
    await make_station("OWN-ELSEWHERE", evse_count=1)
    await make_station("OWN-0001", evse_count=1)
    await make_id_tag(CARD)
    elsewhere = await booted(server, "OWN-ELSEWHERE")
    await elsewhere.start_session(1)  # the card is charging on another station
    # The charger knows the card from its local list and starts at once (LocalPreAuthorize), as real ones do;
    # the CSMS then answers its StartTransaction ConcurrentTx and the charger ends that transaction itself.
    charger = await booted(server, "OWN-0001", LocalPreAuthorize="true")
    charger.local_list = {CARD: {"status": "Accepted"}}
    fleet = FleetOptions(url=server.ocpp_url, session_seconds=OWN_SESSION_SECONDS, sessions=1)
    own_sessions = asyncio.create_task(_run_sessions(charger, fleet, asyncio.Event()))
    try:
        await eventually(lambda: charger.completed_sessions, timeout=10)
        [refused] = charger.completed_sessions
        assert refused.id_tag_status == "ConcurrentTx" and refused.stop_reason == "DeAuthorized"

        app = DriverApp(server)
        await app.sign_up("dana@example.com")
        started = await app.post("/api/v1/sessions", {"station_id": "OWN-0001", "evse_id": 1})
        assert started.status == 202, started.body
        session_id = started.body["id"]

        def active():
            """the driver's app session is charging on the connector the refused start used"""
            return DriverSession.objects.filter(pk=session_id, state="active").exists()

        await eventually(active, timeout=30, interval=0.2)
        await asyncio.wait_for(own_sessions, OWN_SESSION_SECONDS + 10)  # the charger's own session time is up

        session = await sync_to_async(DriverSession.objects.select_related("transaction").get)(pk=session_id)
        assert session.state == "active" and session.transaction.status == Transaction.Status.ACTIVE
        [running] = charger.active_sessions
        assert running.transaction_id == session.transaction_id
        stopped = await app.post(f"/api/v1/sessions/{session_id}/stop")
        assert stopped.status == 202, stopped.body
        await eventually(lambda: DriverSession.objects.filter(pk=session_id, state="completed").exists(), timeout=30)
    finally:
        own_sessions.cancel()
        await charger.close()
        await elsewhere.stop_session(1)
        await elsewhere.close()
