"""Each way a driver's start or stop can go wrong ends in a clear state and error code."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from sessions.models import IdTag
from tests.api_client import DriverApp
from tests.e2e.test_driver_journey import charger_online, reply_to
from tests.e2e.test_ocpp16_session import status
from tests.ocpp_client import answer, call, no_answer

pytestmark = pytest.mark.e2e


async def session_state(app: DriverApp, session_id: int, until: str, timeout: float = 15.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await app.get(f"/api/v1/sessions/{session_id}")).body
        if body["state"] == until or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.1)


async def start(server, make_station, charge_point_id: str, email: str):
    charger = await charger_online(server, make_station, charge_point_id)
    app = DriverApp(server)
    account = await app.sign_up(email)
    started = await app.post("/api/v1/sessions", {"station_id": charge_point_id, "evse_id": 1})
    assert started.status == 202, started.body
    return charger, app, account, started.body["id"]


async def test_a_refused_remote_start_fails_the_session(server, celery_worker, make_station):
    charger, app, _, session_id = await start(server, make_station, "FAIL-REJECT", "reject@example.com")
    await reply_to(charger, await answer(charger), {"status": "Rejected"})
    failed = await session_state(app, session_id, "failed")
    assert failed["state"] == "failed" and failed["error"]["code"] == "station_rejected"
    assert "Rejected" in failed["error"]["message"]
    await charger.close()


async def test_a_charger_that_never_answers_fails_the_session(server, celery_worker, make_station):
    charger, app, _, session_id = await start(server, make_station, "FAIL-SILENT", "silent@example.com")
    assert (await answer(charger))[2] == "RemoteStartTransaction"  # ...and no reply
    failed = await session_state(app, session_id, "failed", timeout=20)
    assert (failed["state"], failed["error"]["code"]) == ("failed", "station_not_responding")
    await charger.close()


async def test_an_accepted_start_that_never_happens_times_out(server, celery_worker, make_station):
    charger, app, account, session_id = await start(server, make_station, "FAIL-NOSTART", "nostart@example.com")
    await reply_to(charger, await answer(charger), {"status": "Accepted"})
    assert (await app.get(f"/api/v1/sessions/{session_id}")).body["state"] == "pending"
    failed = await session_state(app, session_id, "failed", timeout=20)
    assert (failed["state"], failed["error"]["code"]) == ("failed", "start_timeout")

    # The charger reports the start after all: energy flows, so it is the driver's (active) session all the same.
    await call(
        charger,
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": account["profile"]["app_token"],
            "meterStart": 0,
            "timestamp": "2026-11-21T10:00:00Z",
        },
    )
    history = (await app.get("/api/v1/sessions")).body["results"]
    assert [(s["state"], s["started_at"]) for s in history] == [("active", "2026-11-21T10:00:00Z"), ("failed", None)]
    await charger.close()


async def test_a_blocked_token_fails_the_session_when_the_charger_starts(server, celery_worker, make_station):
    charger, app, account, session_id = await start(server, make_station, "FAIL-BLOCKED", "blocked@example.com")
    app_token = account["profile"]["app_token"]
    await reply_to(charger, await answer(charger), {"status": "Accepted"})
    await sync_to_async(IdTag.objects.filter(id_tag=app_token).update)(status="Blocked")
    started = await call(
        charger,
        "StartTransaction",
        {"connectorId": 1, "idTag": app_token, "meterStart": 0, "timestamp": "2026-11-21T10:00:00Z"},
    )
    assert started[2]["idTagInfo"]["status"] == "Blocked"
    failed = await session_state(app, session_id, "failed")
    assert (failed["state"], failed["error"]["code"]) == ("failed", "authorization_rejected")
    await charger.close()


async def test_a_refused_stop_leaves_the_session_active_with_the_reason(server, celery_worker, make_station):
    charger, app, account, session_id = await start(server, make_station, "FAIL-STOP", "stop@example.com")
    await reply_to(charger, await answer(charger), {"status": "Accepted"})
    started = await call(
        charger,
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": account["profile"]["app_token"],
            "meterStart": 0,
            "timestamp": "2026-11-21T10:00:00Z",
        },
    )
    await session_state(app, session_id, "active")

    assert (await app.post(f"/api/v1/sessions/{session_id}/stop")).body["state"] == "stopping"
    again = await app.post(f"/api/v1/sessions/{session_id}/stop")
    assert (again.status, again.body["state"]) == (202, "stopping")
    remote_stop = await answer(charger)
    assert remote_stop[3] == {"transactionId": started[2]["transactionId"]}
    assert await no_answer(charger, within=0.5)  # asking twice sent one RemoteStopTransaction
    await reply_to(charger, remote_stop, {"status": "Rejected"})
    active = await session_state(app, session_id, "active")
    assert (active["state"], active["error"]["code"]) == ("active", "station_rejected")
    await charger.close()


async def test_busy_faulted_and_offline_connectors_are_refused_at_once(server, celery_worker, make_station):
    charger = await charger_online(server, make_station, "FAIL-BUSY")
    app = DriverApp(server)
    await app.sign_up("busy@example.com")
    await call(charger, "StatusNotification", status(1, "Faulted", "2026-11-21T09:10:00Z", error_code="GroundFailure"))
    await call(charger, "StatusNotification", status(2, "Charging", "2026-11-21T09:10:00Z"))
    faulted = await app.post("/api/v1/sessions", {"station_id": "FAIL-BUSY", "evse_id": 1})
    occupied = await app.post("/api/v1/sessions", {"station_id": "FAIL-BUSY", "evse_id": 2})
    assert (faulted.status, faulted.body["code"]) == (409, "connector_faulted")
    assert (occupied.status, occupied.body["code"]) == (409, "connector_occupied")
    await charger.close()
    await asyncio.sleep(0.5)
    offline = await app.post("/api/v1/sessions", {"station_id": "FAIL-BUSY", "evse_id": 1})
    assert (offline.status, offline.body["code"]) == (409, "station_offline")
    assert (await app.get("/api/v1/sessions")).body["count"] == 0
