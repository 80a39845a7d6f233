"""End to end: a real server, a charger reporting Faulted over OCPP 1.6, an operator's dashboard socket.

The alert is opened in the server process as the StatusNotification commits (no Celery worker runs here),
and its alert_changed nudge reaches the dashboard socket; the inbox and the badge's count show it.
"""

import asyncio
import json
import time
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from websockets.asyncio.client import connect

from alerts.models import Alert
from tests.ocpp_client import call, open_socket
from tests.roles import define_roles

pytestmark = pytest.mark.e2e


def signed_in_cookie() -> str:
    define_roles()
    user = get_user_model().objects.create_user("e2e-op", "op@example.com", "a-password-of-staff", is_staff=True)
    user.groups.add(Group.objects.get(name="operator"))
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def next_alert(dashboard) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(dashboard.recv(), 10))
        if message["type"] == "alert_changed":
            return message


def get(server, path: str, cookie: str) -> str:
    request = urllib.request.Request(server.http_url + path, headers={"Cookie": cookie})
    return urllib.request.urlopen(request, timeout=5).read().decode()


async def test_a_faulted_connector_reaches_the_dashboard_as_an_alert(server, make_station, capsys):
    station = await make_station("CP-E2E-ALERT")
    cookie = await sync_to_async(signed_in_cookie)()
    url = server.http_url.replace("http", "ws") + "/ws/dashboard"
    async with (
        connect(url, additional_headers={"Cookie": cookie}, open_timeout=5) as dashboard,
        open_socket(server, "CP-E2E-ALERT") as ws,
    ):
        boot = await call(ws, "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "AC22"})
        assert boot[2]["status"] == "Accepted"
        available = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
        assert (await call(ws, "StatusNotification", available))[2] == {}
        sent_at = time.monotonic()
        faulted = {
            "connectorId": 1,
            "status": "Faulted",
            "errorCode": "GroundFailure",
            "vendorId": "Acme",
            "vendorErrorCode": "E-77",
            "info": "RCD tripped",
        }
        assert (await call(ws, "StatusNotification", faulted))[2] == {}
        message = await next_alert(dashboard)
        latency = time.monotonic() - sent_at
        alert = await sync_to_async(Alert.objects.get)(rule="faulted")
        title = "CP-E2E-ALERT EVSE 1 connector 1 Faulted: GroundFailure (vendor error E-77 from Acme): RCD tripped"
        assert message == {
            "type": "alert_changed",
            "alert_id": alert.pk,
            "rule": "faulted",
            "state": "open",
            "new": True,
            "station_id": station.pk,
            "charge_point_id": "CP-E2E-ALERT",
            "title": title,
        }
        assert json.loads(get(server, "/dashboard/alerts/summary.json", cookie)) == {"open": 1}
        assert f'data-alert-id="{alert.pk}" data-rule="faulted" data-state="open"' in get(
            server, "/dashboard/alerts/", cookie
        )

        back = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
        assert (await call(ws, "StatusNotification", back))[2] == {}
        cleared = await next_alert(dashboard)
        assert (cleared["alert_id"], cleared["state"], cleared["new"]) == (alert.pk, "resolved", False)
    with capsys.disabled():
        print(f"\nFaulted StatusNotification sent -> alert_changed on the dashboard socket: {latency * 1000:.0f} ms")
