"""The charging schedule a station says it will follow, asked through the command port and kept
for operators (smart charging reads what the station itself computed)."""

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer
from stations.models import CompositeSchedule


@commands.command
async def get_composite_schedule(
    *, station_id: int, evse_number: int, duration_s: int, rate_unit: str | None = None
) -> Answer:
    """The schedule the EVSE will follow for the next `duration_s` seconds; kept with the station."""
    command = commands.GetCompositeSchedule(evse_number=evse_number, duration_s=duration_s, rate_unit=rate_unit)
    answer = await commands.send(station_id, command)
    await db_async(record_composite_schedule)(
        station_id=station_id, evse_number=evse_number, status=answer.status or "", schedule=answer.result
    )
    return answer


def record_composite_schedule(
    *, station_id: int, evse_number: int, status: str, schedule: dict | None
) -> CompositeSchedule:
    return CompositeSchedule.objects.create(
        station_id=station_id, evse_number=evse_number, status=status, schedule=schedule
    )
