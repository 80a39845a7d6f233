"""Protocol tier: the consumer in-process, through Channels' WebsocketCommunicator."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from csms.asgi import application
from stations.models import ChargingStation
from tests.ocpp_client import STATION_PASSWORD, basic_auth


def communicator(charge_point_id: str, password: str = STATION_PASSWORD, subprotocols=("ocpp1.6",)):
    headers = [(k.lower().encode(), v.encode()) for k, v in basic_auth(charge_point_id, password).items()]
    return WebsocketCommunicator(
        application, f"/ocpp/{charge_point_id}", headers=headers, subprotocols=list(subprotocols)
    )


@pytest.mark.django_db(transaction=True)
async def test_boot_over_the_consumer(make_station):
    await make_station("CP-COMM")
    ws = communicator("CP-COMM")
    connected, subprotocol = await ws.connect()
    assert connected and subprotocol == "ocpp1.6"
    await ws.send_to(
        text_data=json.dumps([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    )
    answer = json.loads(await ws.receive_from())
    assert answer[:2] == [3, "b1"] and answer[2]["status"] == "Accepted"
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-COMM")
    assert station.is_connected and station.vendor == "V"
    await ws.disconnect()
    await sync_to_async(station.refresh_from_db)()
    assert not station.is_connected


@pytest.mark.django_db(transaction=True)
async def test_wrong_password_is_refused_before_accept(make_station):
    await make_station("CP-COMM2")
    connected, _ = await communicator("CP-COMM2", password="wrong-password-123").connect()
    assert not connected
