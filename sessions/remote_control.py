"""Asking a charger to start or stop a session, through the command port.

A driver's session (run by Celery tasks): the charger's answer moves it. A
refusal, a timeout or an offline station ends a pending start as `failed` with
the reason; a refused stop leaves the session `active` with the reason.
"""

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import (
    Answer,
    CommandError,
    CommandRejected,
    CommandTimeout,
    StationNotAccepted,
    StationNotConnected,
)
from sessions import driver_sessions
from sessions.models import DriverSession, Transaction
from sessions.selectors import id_token_types

# The charging profile that carries a driver's power limit; above any default profile.
POWER_LIMIT_STACK_LEVEL = 1


@commands.command
async def remote_start(
    *, station_id: int, id_tag: str, evse_number: int | None = None, profile: commands.ChargingProfile | None = None
) -> Answer:
    """Ask the station to start a session for the id tag, sent with its stored 2.0.1 token type.
    Accepted only means it agreed: the session exists once the station reports its start."""
    types = await db_async(id_token_types)(id_tags=[id_tag])
    command = commands.RemoteStart(id_tag=id_tag, id_token_type=types[id_tag], evse_number=evse_number, profile=profile)
    return await commands.send(station_id, command)


@commands.command
async def remote_stop(*, transaction_id: int) -> Answer:
    """Ask the station running the transaction to stop it; it stops once the station reports the stop."""
    tx = await db_async(Transaction.objects.only("station_id", "uid").get)(pk=transaction_id)
    return await commands.send(tx.station_id, commands.RemoteStop(transaction_id=tx.pk, transaction_uid=tx.uid))


def _reason(error: CommandError) -> tuple[str, str]:
    if isinstance(error, StationNotConnected):
        return "station_offline", "The station went offline."
    if isinstance(error, StationNotAccepted):
        return "station_not_accepted", "The station is not accepted by the operator yet; it cannot start charging."
    if isinstance(error, CommandTimeout):
        return "station_not_responding", "The station did not answer in time."
    if isinstance(error, CommandRejected):
        return "station_rejected", f"The station refused ({error.status})."
    return "station_error", f"The station could not take the request: {error}"


def send_remote_start(*, session_id: int) -> None:
    session = DriverSession.objects.select_related("connector__evse", "id_tag").get(pk=session_id)
    if session.state != DriverSession.State.PENDING:
        return
    try:
        remote_start.sync(
            station_id=session.station_id,
            id_tag=session.id_tag.id_tag,
            evse_number=session.connector.evse.number,
            profile=_power_limit(session),
        )
    except CommandError as error:
        code, message = _reason(error)
        driver_sessions.fail(session_id=session.pk, code=code, message=message)
    else:
        driver_sessions.mark_start_accepted(session_id=session.pk)


def _power_limit(session: DriverSession) -> commands.ChargingProfile | None:
    if session.max_power_w is None:
        return None
    return commands.ChargingProfile(
        profile_id=session.pk % 2**31,
        stack_level=POWER_LIMIT_STACK_LEVEL,
        purpose="Tx",
        rate_unit="W",
        periods=[commands.SchedulePeriod(start_s=0, limit=float(session.max_power_w))],
    )


def send_remote_stop(*, session_id: int) -> None:
    session = DriverSession.objects.get(pk=session_id)
    if session.state != DriverSession.State.STOPPING:
        return
    try:
        remote_stop.sync(transaction_id=session.transaction_id)
    except CommandError as error:
        code, message = _reason(error)
        driver_sessions.stop_refused(session_id=session.pk, code=code, message=message)
