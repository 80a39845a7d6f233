"""The ChargingProfiles module, receiver side: an eMSP sets, reads or clears the limit of one of its sessions.

Each request is answered at once with a ChargingProfileResponse (ACCEPTED once we know the session and its
station is online; UNKNOWN_SESSION for a session not the caller's; REJECTED otherwise) and carried out in
Celery: the charger's SetChargingProfile (a Tx profile of the transaction), GetCompositeSchedule or
ClearChargingProfile; its answer becomes the ChargingProfileResult, ActiveChargingProfileResult or
ClearProfileResult that roaming.services.results POSTs to the partner's response_url.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from csms.ocpp import commands as port
from csms.ocpp.commands import CommandError, CommandRejected
from roaming.mapping import charging_profiles as mapping
from roaming.mapping.commands import command_response, invalid, response_url
from roaming.mapping.tokens import issuer_party
from roaming.models import Command, Partner
from roaming.services import results
from roaming.services.commands import ACCEPTED, REJECTED, Refusal, result_timeout, session_of
from sessions.models import Transaction
from stations import charging_schedules

SET = "SET_CHARGING_PROFILE"
GET = "GET_ACTIVE_CHARGING_PROFILE"
CLEAR = "CLEAR_PROFILE"


def receive(
    *, partner: Partner, request: str, session_id: str, data: dict[str, Any], from_party: tuple[str, str] | None = None
) -> dict:
    """The ChargingProfileResponse for a PUT (SET), GET or DELETE (CLEAR) of a session's profile; its result
    goes back to `from_party` (OCPI-from-*), else to the party whose token the session is charged on."""
    url = response_url(data)
    row = Command(
        partner=partner, module=Command.Module.CHARGING_PROFILES, command=request, request=data, response_url=url
    )
    row.from_party = issuer_party(country_code=from_party[0], party_id=from_party[1]) if from_party else ""
    try:
        tx = session_of(row, session_id)
        _check(request, data, tx)
        if not tx.station.is_connected:
            raise Refusal(REJECTED, "The charging station is offline")
    except Refusal as refusal:
        row.response, row.state, row.message = refusal.response, Command.State.REFUSED, refusal.message
        row.save()
        return command_response(refusal.response, timeout=0)
    row.response = ACCEPTED
    row.save()
    from roaming import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.execute_command.delay(row.pk))
    return command_response(ACCEPTED, timeout=result_timeout())


def _check(request: str, data: dict[str, Any], tx: Transaction) -> None:
    """The request's own fields, in shape (2001 otherwise)."""
    if request == SET:
        mapping.port_profile(data.get("charging_profile"), transaction_id=tx.pk, transaction_uid=tx.uid)
    if request == GET:
        duration(data)


def duration(data: dict[str, Any]) -> int:
    value = data.get("duration")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise invalid("duration must be a whole number of seconds above 0")
    return value


def carry_out(*, command_id: int) -> None:
    """Ask the charger, and record the result object for the partner (REJECTED when it did not do it)."""
    row = Command.objects.select_related("transaction").get(pk=command_id)
    if row.state != Command.State.PENDING:
        return
    assert row.transaction is not None and row.station_id is not None and row.evse_number is not None
    tx = row.transaction
    try:
        body = _ASK[row.command](row, tx)
    except CommandRejected as refused:
        unknown = row.command != SET and refused.status == "Unknown"
        body = {"result": "UNKNOWN" if unknown else REJECTED}
        row.message = str(refused)
    except CommandError as error:
        body, row.message = {"result": REJECTED}, str(error)
    results.record(command_id=row.pk, result=body["result"], body=body, message=row.message)


def _set(row: Command, tx: Transaction) -> dict[str, Any]:
    profile = mapping.port_profile(row.request["charging_profile"], transaction_id=tx.pk, transaction_uid=tx.uid)
    assert row.station_id is not None and row.evse_number is not None
    port.send.sync(row.station_id, port.SetChargingProfile(evse_number=row.evse_number, profile=profile))
    return {"result": ACCEPTED}


def _get(row: Command, tx: Transaction) -> dict[str, Any]:
    assert row.station_id is not None and row.evse_number is not None
    asked_at = timezone.now()
    answer = charging_schedules.get_composite_schedule.sync(
        station_id=row.station_id, evse_number=row.evse_number, duration_s=duration(row.request)
    )
    profile = mapping.active_charging_profile(answer.data, asked_at=asked_at)
    return {"result": ACCEPTED, "profile": profile} if profile else {"result": "UNKNOWN"}


def _clear(row: Command, tx: Transaction) -> dict[str, Any]:
    assert row.station_id is not None
    command = port.ClearChargingProfile(profile_id=mapping.profile_id(tx.pk))
    port.send.sync(row.station_id, command)
    return {"result": ACCEPTED}


_ASK = {SET: _set, GET: _get, CLEAR: _clear}
