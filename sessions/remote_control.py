"""Asking a charger to start or stop a driver's session (run by Celery tasks).

The charger's answer moves the driver session: a refusal, a timeout or an
offline station ends a pending start as `failed` with the reason; a refused
stop leaves the session `active` with the reason.
"""

from csms.ocpp import commands
from csms.ocpp.gateway import CommandError, CommandRejected, CommandTimeout, StationNotAccepted, StationNotConnected
from sessions import driver_sessions
from sessions.models import DriverSession

# The charging profile that carries a driver's power limit; above any default profile.
POWER_LIMIT_STACK_LEVEL = 1


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
    session = DriverSession.objects.select_related("station", "connector__evse", "id_tag").get(pk=session_id)
    if session.state != DriverSession.State.PENDING:
        return
    try:
        commands.remote_start.sync(
            session.station,
            id_tag=session.id_tag.id_tag,
            evse_id=session.connector.evse.evse_id,
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
    session = DriverSession.objects.select_related("station", "transaction").get(pk=session_id)
    if session.state != DriverSession.State.STOPPING:
        return
    try:
        commands.remote_stop.sync(session.station, transaction=session.transaction)
    except CommandError as error:
        code, message = _reason(error)
        driver_sessions.stop_refused(session_id=session.pk, code=code, message=message)
