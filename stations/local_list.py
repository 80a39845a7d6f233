"""The version of its local authorization list a station keeps (the list itself: sessions/local_list.py)."""

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer
from stations.models import ChargingStation


@commands.command
async def get_local_list_version(*, station_id: int) -> Answer:
    """Ask the station which list version it keeps, and record it (none: it keeps no list)."""
    answer = await commands.send(station_id, commands.GetLocalListVersion())
    await db_async(record_local_list_version)(station_id=station_id, version=answer.result)
    return answer


def record_local_list_version(*, station_id: int, version: int | None) -> None:
    ChargingStation.objects.filter(pk=station_id).update(local_list_version=version)
