"""Issue 9 #5: an operator rejecting a connected station closes its socket at once, and a station
that is not Accepted starts no transaction."""

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from websockets.exceptions import ConnectionClosed

from stations.models import ChargingStation, StationEvent
from tests.conftest import eventually
from tests.ocpp_client import answer, call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Voltstack", "chargePointModel": "Raw"}
START = {"connectorId": 1, "idTag": "REG-TAG", "meterStart": 1000, "timestamp": "2026-11-21T08:00:00Z"}


@pytest.fixture
def operator(client, django_user_model, transactional_db):
    django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123")
    client.force_login(django_user_model.objects.get(username="op"))
    return client


async def test_rejecting_a_connected_station_closes_its_socket_and_its_reconnect_starts_nothing(
    server, operator, make_station, make_id_tag
):
    station = await make_station("CP-REJECT-LIVE")
    await make_id_tag("REG-TAG")
    async with open_socket(server, "CP-REJECT-LIVE") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"

        def connected():
            """the server holds the charger's socket"""
            return ChargingStation.objects.get(pk=station.pk).connection_channel

        await eventually(connected)

        response = await sync_to_async(operator.post)(
            reverse("admin:stations_chargingstation_changelist"),
            {"action": "reject_stations", "_selected_action": [station.pk]},
            follow=True,
        )
        assert "1 station(s) rejected." in response.content.decode()
        with pytest.raises(ConnectionClosed) as closed:
            await answer(ws, 10)
        assert closed.value.rcvd.code == 4001

    def offline():
        """the station is offline once its socket closed"""
        return ChargingStation.objects.get(pk=station.pk).connection_channel == ""

    await eventually(offline)
    event = await sync_to_async(StationEvent.objects.get)(station=station, kind="connection")
    assert event.summary == "Registration: Accepted → Rejected" and event.details["by"] == "op"

    async with open_socket(server, "CP-REJECT-LIVE") as ws:  # it comes back, and is told so
        assert (await call(ws, "StartTransaction", START))[2] == "SecurityError"
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Rejected"
        assert (await call(ws, "StartTransaction", START))[2] == "SecurityError"
    assert not await sync_to_async(
        (await sync_to_async(ChargingStation.objects.get)(pk=station.pk)).transactions.exists
    )()
