"""Issue 9 #22: the command API from many threads at once (operators, Celery, smart charging):
8 threads each command 50 connected chargers; every command gets its charger's answer."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from csms.ocpp import commands
from stations.models import ChargingStation
from tests.conftest import eventually
from tests.e2e.answering import AnsweringCharger

pytestmark = pytest.mark.e2e

THREADS, STATIONS = 8, 50


def command_each(stations: list[ChargingStation], thread: int) -> list[str]:
    """One thread's work: a DataTransfer to every station, each through `.sync()`."""
    try:
        return [
            commands.send.sync(
                station.pk, commands.DataTransfer(vendor_id="com.voltstack", message_id=f"t{thread}")
            ).status
            for station in stations
        ]
    finally:
        connections.close_all()


@pytest.mark.timeout(600)
async def test_eight_threads_command_fifty_chargers_at_once(server, make_station):
    stations = [await make_station(f"CP-MANY-{n:02}", evse_count=1) for n in range(STATIONS)]
    chargers = [await AnsweringCharger.connect(server, station.charge_point_id) for station in stations]
    try:

        def all_connected():
            """the server holds every charger's socket"""
            return (
                ChargingStation.objects.filter(charge_point_id__startswith="CP-MANY-")
                .exclude(connection_channel="")
                .count()
                == STATIONS
            )

        await eventually(all_connected, timeout=30)
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(THREADS) as pool:
            results = await asyncio.gather(
                *(loop.run_in_executor(pool, command_each, stations, n) for n in range(THREADS))
            )
        assert results == [["Accepted"] * STATIONS] * THREADS
        for charger in chargers:
            received = sorted(json.loads(payload)["messageId"] for payload in charger.calls("DataTransfer"))
            assert received == sorted(f"t{n}" for n in range(THREADS))
    finally:
        for charger in chargers:
            await charger.close()
        await sync_to_async(connections.close_all)()
