"""Reservations: holding an EVSE for an id tag, asked of the station through the command port.

The reservation is kept before the station is asked (its primary key is the
reservationId the station echoes), then with what the station answered. A
reservation whose ReserveNow went unanswered stays "requested": the station
may still hold it. A station also ends reservations itself (expired, removed).
"""

from datetime import datetime

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer, CommandError, CommandTimeout
from sessions.models import Reservation
from sessions.selectors import id_token_types


@commands.command
async def reserve_now(*, station_id: int, evse_number: int, id_tag: str, expires_at: datetime) -> Answer:
    """Hold an EVSE for an id tag. The reservation is kept, with the station's answer."""
    reservation = await db_async(create_reservation)(
        station_id=station_id, evse_number=evse_number, id_tag=id_tag, expires_at=expires_at
    )
    return await send_reservation(reservation_id=reservation.pk)


@commands.command
async def send_reservation(*, reservation_id: int) -> Answer:
    """Ask the station to hold a kept reservation (one sent before is replaced: same reservationId)."""
    reservation = await db_async(Reservation.objects.get)(pk=reservation_id)
    types = await db_async(id_token_types)(id_tags=[reservation.id_tag])
    command = commands.ReserveNow(
        evse_number=reservation.evse_number,
        id_tag=reservation.id_tag,
        id_token_type=types[reservation.id_tag],
        expires_at=reservation.expires_at,
        reservation_id=reservation.pk,
    )
    try:
        answer = await commands.send(reservation.station_id, command)
    except CommandTimeout:
        raise  # the station may still hold it: stays "requested" until it says otherwise
    except CommandError as error:
        await db_async(record_reservation_answer)(
            reservation_id=reservation.pk, answer=getattr(error, "status", "NotSent")
        )
        raise
    await db_async(record_reservation_answer)(reservation_id=reservation.pk, answer=answer.status)
    return answer


@commands.command
async def cancel_reservation(*, station_id: int, reservation_id: int) -> Answer:
    """Ask the station to drop a reservation; once it agrees, the reservation is cancelled."""
    answer = await commands.send(station_id, commands.CancelReservation(reservation_id=reservation_id))
    await db_async(record_reservation_cancelled)(reservation_id=reservation_id)
    return answer


def create_reservation(*, station_id: int, evse_number: int, id_tag: str, expires_at: datetime) -> Reservation:
    """A reservation to send with ReserveNow; its primary key is the reservationId."""
    return Reservation.objects.create(
        station_id=station_id, evse_number=evse_number, id_tag=id_tag, expires_at=expires_at
    )


def replace_reservation(*, reservation_id: int, evse_number: int, id_tag: str, expires_at: datetime) -> None:
    """New terms for a reservation, to send again with its reservationId: requested until the station answers."""
    Reservation.objects.filter(pk=reservation_id).update(
        evse_number=evse_number, id_tag=id_tag, expires_at=expires_at, status=Reservation.Status.REQUESTED
    )


def record_reservation_answer(*, reservation_id: int, answer: str) -> None:
    status = Reservation.Status.ACCEPTED if answer == "Accepted" else Reservation.Status.REFUSED
    Reservation.objects.filter(pk=reservation_id).update(status=status, station_answer=answer)


def record_reservation_cancelled(*, reservation_id: int) -> None:
    Reservation.objects.filter(pk=reservation_id).update(status=Reservation.Status.CANCELLED)


def end_reservation(*, station_id: int, reservation_id: int, expired: bool) -> None:
    """The station ended a reservation itself: it expired, or was removed."""
    status = Reservation.Status.EXPIRED if expired else Reservation.Status.CANCELLED
    Reservation.objects.filter(pk=reservation_id, station_id=station_id).update(status=status)
