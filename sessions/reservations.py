"""Reservations: holding an EVSE for an id tag, asked of the station through the command port.

The reservation is kept before the station is asked (its primary key is the
reservationId the station echoes), then with what the station answered. A
reservation whose ReserveNow went unanswered stays "requested": the station
may still hold it.
"""

from datetime import datetime

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer, CommandError, CommandTimeout
from sessions import services
from sessions.selectors import id_token_types


@commands.command
async def reserve_now(*, station_id: int, evse_number: int, id_tag: str, expires_at: datetime) -> Answer:
    """Hold an EVSE for an id tag. The reservation is kept, with the station's answer."""
    reservation = await db_async(services.create_reservation)(
        station_id=station_id, evse_number=evse_number, id_tag=id_tag, expires_at=expires_at
    )
    types = await db_async(id_token_types)(id_tags=[id_tag])
    command = commands.ReserveNow(
        evse_number=evse_number,
        id_tag=id_tag,
        id_token_type=types[id_tag],
        expires_at=expires_at,
        reservation_id=reservation.pk,
    )
    try:
        answer = await commands.send(station_id, command)
    except CommandTimeout:
        raise  # the station may still hold it: stays "requested" until it says otherwise
    except CommandError as error:
        await db_async(services.record_reservation_answer)(
            reservation_id=reservation.pk, answer=getattr(error, "status", "NotSent")
        )
        raise
    await db_async(services.record_reservation_answer)(reservation_id=reservation.pk, answer=answer.status)
    return answer


@commands.command
async def cancel_reservation(*, station_id: int, reservation_id: int) -> Answer:
    """Ask the station to drop a reservation; once it agrees, the reservation is cancelled."""
    answer = await commands.send(station_id, commands.CancelReservation(reservation_id=reservation_id))
    await db_async(services.cancel_reservation)(reservation_id=reservation_id)
    return answer
