"""The Commands module, receiver side: an eMSP asks us to start, stop, reserve, cancel or unlock.

`receive` answers at once with a CommandResponse: ACCEPTED when the command names what we know and the
station can be asked now (the Command row is kept and carried out in Celery), REJECTED / UNKNOWN_SESSION /
NOT_SUPPORTED with the reason otherwise; an unknown location, EVSE or connector is 2003 with a REJECTED
CommandResponse (mod_commands' UnlockConnector sequence diagram). `carry_out` asks the charger through the
domain's services (sessions.remote_control, sessions.reservations) or the command port, and records the
CommandResult that roaming.services.results POSTs back to the party that asked (`Command.from_party`).

A START_SESSION's token must be one of the caller's parties' (it is kept, as the Tokens module keeps a
pushed token, so the charger's StartTransaction finds it) and is not authorised here: "the CPO SHALL NOT
check the validity of the Token provided before sending the request to the Charge Point" (mod_commands
StartSession); the charger's start of it is Accepted without asking the eMSP again
(roaming.services.realtime_authorization). A STOP_SESSION's session must have been charged on a token of
the caller's.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from csms.ocpp import commands as port
from csms.ocpp.commands import (
    CommandCallError,
    CommandError,
    CommandNotSupported,
    CommandRejected,
    CommandTimeout,
    StationNotAccepted,
    StationNotConnected,
)
from roaming.envelope import CLIENT_ERROR, UNKNOWN_LOCATION, OcpiError
from roaming.mapping import commands as mapping
from roaming.mapping.commands import CommandRequest
from roaming.mapping.tokens import issuer_party
from roaming.models import Command, Partner
from roaming.parties import issuer_parties
from roaming.selectors.commands import partner_transaction
from roaming.selectors.locations import roaming_location
from roaming.services import results
from roaming.services.tokens import own_issuer
from sessions import remote_control, reservations
from sessions.id_tokens import IdTokenTaken, keep_issued_token
from sessions.models import Reservation, Transaction
from stations.models import ChargingStation, Connector, ConnectorStatus, Evse

# How long after a START_SESSION the transaction it asked for may begin (a driver plugs in late).
START_SESSION_WINDOW = timedelta(minutes=10)
ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
NOT_SUPPORTED = "NOT_SUPPORTED"
UNKNOWN_SESSION = "UNKNOWN_SESSION"


class Refusal(Exception):
    """The command cannot be carried out: answered at once with `response` and the reason."""

    def __init__(self, response: str, message: str) -> None:
        super().__init__(message)
        self.response = response
        self.message = message


def result_timeout() -> int:
    """Seconds within which the partner gets the result: the charger's answer time, and our POST of it."""
    return settings.OCPP_CALL_TIMEOUT + int(settings.OCPI_HTTP_TIMEOUT) + 5


def receive(*, partner: Partner, command: str, body: dict, from_party: tuple[str, str] | None = None) -> dict:
    """The CommandResponse for a command a partner sent; an accepted one is carried out in Celery.

    `from_party`: the party that sent it (OCPI-from-*), whom its result goes back to through a hub."""
    if command not in mapping.COMMANDS:
        return mapping.command_response(NOT_SUPPORTED, timeout=0, message=f"{command} is not a command we take")
    request = mapping.command_request(command, body)
    row = Command(partner=partner, command=command, request=body, response_url=request.response_url)
    row.from_party = issuer_party(country_code=from_party[0], party_id=from_party[1]) if from_party else ""
    try:
        _PREPARE[command](row, request)
    except Refusal as refusal:
        row.response, row.state, row.message = refusal.response, Command.State.REFUSED, refusal.message
        row.save()
        return mapping.command_response(refusal.response, timeout=0, message=refusal.message)
    row.response = ACCEPTED
    row.save()
    from roaming import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.execute_command.delay(row.pk))
    return mapping.command_response(ACCEPTED, timeout=result_timeout())


# --- what each command names, checked before any charger is asked --------------------------------------


def _unknown_location(message: str) -> OcpiError:
    """2003, with the REJECTED CommandResponse the spec's sequence diagram has as its data."""
    return OcpiError(
        UNKNOWN_LOCATION, message, http_status=404, data=mapping.command_response(REJECTED, timeout=0, message=message)
    )


def _target(request: CommandRequest) -> tuple[ChargingStation, Evse | None, Connector | None]:
    """The station (and EVSE, connector) the request names; 2003 for one partners do not see."""
    location = roaming_location(location_id=request.location_id)
    if location is None:
        raise _unknown_location(f"No location {request.location_id}")
    stations = list(location.stations.all())
    if not request.evse_uid:
        if len(stations) != 1:
            raise Refusal(REJECTED, "Name an EVSE (evse_uid): this location has several charging stations")
        return _connected(stations[0]), None, None
    evse = next((e for s in stations for e in s.evses.all() if str(e.pk) == request.evse_uid), None)
    if evse is None:
        raise _unknown_location(f"No EVSE {request.evse_uid} at location {location.pk}")
    station = next(s for s in stations if s.pk == evse.station_id)
    if not request.connector_id:
        return _connected(station), evse, None
    connector = next((c for c in evse.connectors.all() if str(c.number) == request.connector_id), None)
    if connector is None:
        raise _unknown_location(f"No connector {request.connector_id} on EVSE {evse.pk}")
    return _connected(station), evse, connector


def _connected(station: ChargingStation) -> ChargingStation:
    if not station.is_connected:
        raise Refusal(REJECTED, "The charging station is offline")
    return station


def _keep_token(row: Command, request: CommandRequest) -> None:
    """The partner's own token, kept (or refreshed) as it sent it whole; its party asked, unless the
    request named another (OCPI-from-*)."""
    assert request.token is not None and request.token_object is not None
    own_issuer(
        partner=row.partner,
        country_code=str(request.token_object["country_code"]),
        party_id=str(request.token_object["party_id"]),
    )
    row.from_party = row.from_party or request.token.issuer_party
    try:
        row.id_tag = keep_issued_token(token=request.token)
    except IdTokenTaken:
        raise OcpiError(CLIENT_ERROR, f"The uid {request.token.id_tag} is another issuer's token", 409) from None


def _prepare_start(row: Command, request: CommandRequest) -> None:
    station, evse, _ = _target(request)
    _keep_token(row, request)
    row.station, row.evse_number = station, evse.number if evse else None
    row.authorization_reference = request.authorization_reference


def session_of(row: Command, session_id: str) -> Transaction:
    """The caller's running session the request names; UNKNOWN_SESSION for any other."""
    tx = partner_transaction(session_id=session_id, parties=issuer_parties(row.partner))
    if tx is None:
        raise Refusal(UNKNOWN_SESSION, f"No session {session_id} of yours")
    if tx.status != Transaction.Status.ACTIVE:
        raise Refusal(REJECTED, f"Session {session_id} has ended")
    row.transaction, row.station_id, row.id_tag = tx, tx.station_id, tx.id_tag
    row.from_party = row.from_party or (tx.id_tag.issuer_party if tx.id_tag else "")
    row.evse_number = tx.connector.evse.number
    return tx


def _prepare_stop(row: Command, request: CommandRequest) -> None:
    session_of(row, request.session_id)


def _prepare_reserve(row: Command, request: CommandRequest) -> None:
    """The spec has the eMSP vouch for the token: it is kept, not authorised (mod_commands ReserveNow)."""
    station, evse, _ = _target(request)
    _keep_token(row, request)
    if request.expires_at is not None and request.expires_at <= timezone.now():
        raise Refusal(REJECTED, "expiry_date has passed")
    row.station, row.evse_number = station, evse.number if evse else 0
    row.reservation_ref = request.reservation_id
    row.authorization_reference = request.authorization_reference
    earlier = _reservation_command(partner=row.partner, reservation_ref=request.reservation_id)
    held = earlier.reservation if earlier is not None else None
    if held is not None and held.station_id == station.pk and _still_held(held):
        row.reservation = held


def _prepare_cancel(row: Command, request: CommandRequest) -> None:
    reserved = _reservation_command(partner=row.partner, reservation_ref=request.reservation_id)
    if reserved is None or reserved.reservation is None:
        raise Refusal(REJECTED, f"No reservation {request.reservation_id} of yours")
    if not _still_held(reserved.reservation):
        raise Refusal(REJECTED, f"Reservation {request.reservation_id} has ended ({reserved.reservation.status})")
    row.station_id, row.reservation = reserved.reservation.station_id, reserved.reservation
    row.reservation_ref = request.reservation_id
    row.from_party = row.from_party or reserved.from_party
    _connected(reserved.reservation.station)


def _prepare_unlock(row: Command, request: CommandRequest) -> None:
    station, evse, connector = _target(request)
    assert evse is not None and connector is not None
    row.station, row.evse_number, row.connector_number = station, evse.number, connector.number


def _still_held(reservation: Reservation) -> bool:
    return reservation.status in (Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED)


def _reservation_command(*, partner: Partner, reservation_ref: str) -> Command | None:
    """The partner's latest RESERVE_NOW with this reservation_id that made (or replaced) a reservation."""
    commands = Command.objects.select_related("reservation__station").filter(reservation__isnull=False)
    return commands.filter(partner=partner, command=mapping.RESERVE_NOW, reservation_ref=reservation_ref).first()


_PREPARE = {
    mapping.START_SESSION: _prepare_start,
    mapping.STOP_SESSION: _prepare_stop,
    mapping.RESERVE_NOW: _prepare_reserve,
    mapping.CANCEL_RESERVATION: _prepare_cancel,
    mapping.UNLOCK_CONNECTOR: _prepare_unlock,
}


def link_started_transaction(*, transaction_id: int, station_id: int) -> None:
    """A transaction a START_SESSION asked for has begun: the command keeps it, so the Session we send the
    partner is its (authorization_reference). The oldest accepted start of the token at that station
    (on that EVSE, if it named one) within START_SESSION_WINDOW is the one the charger carried out."""
    tx = Transaction.objects.select_related("connector__evse").get(pk=transaction_id)
    if tx.id_tag_id is None:
        return
    waiting = Command.objects.filter(
        command=mapping.START_SESSION,
        response=ACCEPTED,
        station_id=station_id,
        id_tag_id=tx.id_tag_id,
        transaction__isnull=True,
        result__in=["", ACCEPTED],
        created_at__gte=timezone.now() - START_SESSION_WINDOW,
    ).filter(Q(evse_number__isnull=True) | Q(evse_number=tx.connector.evse.number))
    command = waiting.order_by("id").first()
    if command is not None:
        Command.objects.filter(pk=command.pk, transaction__isnull=True).update(transaction=tx)


# --- carrying it out (Celery) ---------------------------------------------------------------------------


def carry_out(*, command_id: int) -> None:
    """Ask the charger, and record the CommandResult (whatever it answered, or that it did not)."""
    row = Command.objects.select_related("id_tag", "reservation").get(pk=command_id)
    if row.state != Command.State.PENDING:
        return
    try:
        _CARRY_OUT[row.command](row)
    except CommandError as error:
        result, message = _failure_result(row, error)
    else:
        result, message = ACCEPTED, ""
    results.record(command_id=row.pk, result=result, body=mapping.command_result(result, message), message=message)


def _start(row: Command) -> None:
    assert row.station_id is not None and row.id_tag is not None
    remote_control.remote_start.sync(station_id=row.station_id, id_tag=row.id_tag.id_tag, evse_number=row.evse_number)


def _stop(row: Command) -> None:
    assert row.transaction_id is not None
    remote_control.remote_stop.sync(transaction_id=row.transaction_id)


def _reserve(row: Command) -> None:
    """Our own reservation (its pk is the reservationId the charger gets), or the one this reservation_id
    made before, replaced: the charger replaces a reservation it gets again with the same id. Once the
    charger holds it, its Session goes to the eMSP (roaming.services.session_pushes)."""
    assert row.station_id is not None and row.id_tag is not None and row.evse_number is not None
    expires_at = mapping.command_request(row.command, row.request).expires_at
    assert expires_at is not None
    terms = {"evse_number": row.evse_number, "id_tag": row.id_tag.id_tag, "expires_at": expires_at}
    if row.reservation is not None:
        reservations.replace_reservation(reservation_id=row.reservation.pk, **terms)
    else:
        row.reservation = reservations.create_reservation(station_id=row.station_id, **terms)
        row.save(update_fields=["reservation"])
    reservations.send_reservation.sync(reservation_id=row.reservation.pk)
    from roaming import tasks  # the tasks module imports this one

    tasks.announce_reservation(reservation_id=row.reservation.pk, expires_at=expires_at)


def _cancel(row: Command) -> None:
    assert row.reservation is not None
    reservations.cancel_reservation.sync(station_id=row.reservation.station_id, reservation_id=row.reservation.pk)
    from roaming import tasks  # the tasks module imports this one

    tasks.announce_reservation(reservation_id=row.reservation.pk, expires_at=None)


def _unlock(row: Command) -> None:
    assert row.station_id is not None and row.evse_number is not None and row.connector_number is not None
    command = port.UnlockConnector(evse_number=row.evse_number, connector_number=row.connector_number)
    port.send.sync(row.station_id, command)


_CARRY_OUT = {
    mapping.START_SESSION: _start,
    mapping.STOP_SESSION: _stop,
    mapping.RESERVE_NOW: _reserve,
    mapping.CANCEL_RESERVATION: _cancel,
    mapping.UNLOCK_CONNECTOR: _unlock,
}

_EVSE_BUSY = {"Occupied": "EVSE_OCCUPIED", "Faulted": "EVSE_INOPERATIVE", "Unavailable": "EVSE_INOPERATIVE"}


def _failure_result(row: Command, error: CommandError) -> tuple[str, str]:
    """The CommandResultType for a charger that did not do it, and why, for the partner's driver."""
    if isinstance(error, StationNotConnected):
        return "FAILED", "The charging station is offline"
    if isinstance(error, StationNotAccepted):
        return REJECTED, "The charging station is not in service yet"
    if isinstance(error, CommandTimeout):
        return "TIMEOUT", "The charging station did not answer in time"
    if isinstance(error, CommandNotSupported):
        return NOT_SUPPORTED, "The charging station does not support this command"
    if isinstance(error, CommandCallError):
        supported = error.code not in ("NotImplemented", "NotSupported")
        return ("FAILED" if supported else NOT_SUPPORTED), f"The charging station failed: {error.code}"
    if isinstance(error, CommandRejected):
        return _rejected_result(row, error.status)
    return "FAILED", str(error)[:255]


def _rejected_result(row: Command, status: str) -> tuple[str, str]:
    message = f"The charging station answered {status}"
    if row.command == mapping.CANCEL_RESERVATION:
        return "UNKNOWN_RESERVATION", message
    if row.command == mapping.UNLOCK_CONNECTOR:
        return (NOT_SUPPORTED if status == "NotSupported" else "FAILED"), message
    if status in _EVSE_BUSY:
        return _EVSE_BUSY[status], message
    if row.command == mapping.START_SESSION:
        statuses = set(_evse_connectors(row).values_list("status", flat=True))
        if statuses and statuses <= ConnectorStatus.out_of_service():
            return "EVSE_INOPERATIVE", message
        if statuses & ConnectorStatus.charging():
            return "EVSE_OCCUPIED", message
    return REJECTED, message


def _evse_connectors(row: Command):
    connectors = Connector.objects.filter(evse__station_id=row.station_id)
    return connectors.filter(evse__number=row.evse_number) if row.evse_number else connectors
