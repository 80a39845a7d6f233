"""Charger commands as Django admin actions: send, catch the failure, tell the operator.

Every command goes through the version-neutral API (csms.ocpp.commands), one
station at a time, and its outcome becomes one admin message: the charger's
answer at SUCCESS, or why it did not happen at WARNING/ERROR. A failure is
never an exception here, so an unreachable charger never makes a 500.

Commands that need parameters ask for them first (`ask_then_send`): the
action renders its `CommandForm` for the selected stations, and the page
posts back to the same action with `apply`, as Django's delete confirmation
does. The forms are in csms.ocpp.admin_actions.forms.

Commanding a charger takes the `stations.command_station` permission (the
operator role): actions declare `permissions=["command"]`, and `send` checks
it again, so no path to a charger skips it.
"""

import logging
from collections.abc import Callable, Iterable

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.commands import (
    Answer,
    CommandCallError,
    CommandError,
    CommandNotSupported,
    CommandRejected,
    CommandTimeout,
    StationNotAccepted,
    StationNotConnected,
)
from sessions.models import Reservation, Transaction
from stations.models import ChargingStation

logger = logging.getLogger(__name__)

COMMAND_PERMISSION = "stations.command_station"

# What a successful answer reads like, given the station and the charger's answer.
Describe = Callable[[ChargingStation, Answer], str]


class CommandPermission:
    """For a ModelAdmin whose actions command chargers: they declare `permissions=["command"]`."""

    def has_command_permission(self, request) -> bool:
        return request.user.has_perm(COMMAND_PERMISSION)


def require_command_permission(request) -> None:
    if not request.user.has_perm(COMMAND_PERMISSION):
        raise PermissionDenied("Commanding chargers takes the permission to send commands to charging stations.")


def answered(station: ChargingStation, answer: Answer) -> str:
    """The charger's own words: "CP-1: Reset Accepted"."""
    return f"{station}: {answer.action} {answer.status or 'answered'}"


def failure(station: ChargingStation, label: str, error: Exception) -> tuple[int, str]:
    """How a failed command reads to the operator, and at which message level."""
    # The gateway's texts start with the charge point id; here the id leads every message.
    reason = str(error).removeprefix(f"{station.charge_point_id}: ").removeprefix(f"{station.charge_point_id} ")
    match error:
        case StationNotConnected():
            return messages.WARNING, f"{station}: {label} failed, the station {reason}."
        case StationNotAccepted():
            return messages.WARNING, f"{station}: {label} not sent, the station {error.why}."
        case CommandTimeout():
            return messages.ERROR, f"{station}: {label} unconfirmed, the station {reason}."
        case CommandRejected():
            return messages.WARNING, f"{station}: {label} rejected with status {error.status}."
        case CommandCallError():
            return messages.ERROR, f"{station}: {label} failed with CALLERROR {error.code}: {error.description}"
        case CommandNotSupported():
            version = station.ocpp_version or "unknown"
            return messages.WARNING, f"{station}: {label} is not supported by its OCPP version ({version})."
        case CommandError():
            return messages.ERROR, f"{station}: {label} failed: {reason}"
    logger.error("%s: %s failed unexpectedly", station, label, exc_info=error)
    return messages.ERROR, f"{station}: {label} failed unexpectedly ({type(error).__name__}); see the server log."


def send(
    modeladmin, request, station: ChargingStation, label: str, call: Callable[[], Answer], describe: Describe = answered
) -> Answer | None:
    """Run one command for one station and tell the operator how it went; the answer, or None."""
    require_command_permission(request)
    try:
        answer = call()
    except Exception as error:  # whatever went wrong is told, never raised
        level, text = failure(station, label, error)
        modeladmin.message_user(request, text, level)
        return None
    modeladmin.message_user(request, describe(station, answer), messages.SUCCESS)
    return answer


def send_each(
    modeladmin,
    request,
    stations: Iterable[ChargingStation],
    label: str,
    command,
    describe: Describe = answered,
    **params,
) -> None:
    """`command.sync(station, **params)` for each station, one message each."""
    for station in stations:
        send(modeladmin, request, station, label, lambda: command.sync(station, **params), describe)


def ask_then_send(modeladmin, request, stations: QuerySet, form_class) -> TemplateResponse | None:
    """Show the command's form; once posted back with `apply` and valid, send it to each station."""
    require_command_permission(request)
    form = form_class(request.POST if "apply" in request.POST else None, stations=stations)
    if form.is_valid():
        for station in stations:
            send(modeladmin, request, station, form.label, lambda: form.send(station), form.describe)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": form.label,
        "opts": modeladmin.model._meta,
        "form": form,
        "objects": stations,
        "action": chosen_action(request),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/ocpp/command_form.html", context)


def chosen_action(request) -> str:
    """The action whose button was pushed (a changelist can have two action bars)."""
    try:
        return request.POST.getlist("action")[int(request.POST.get("index", 0))]
    except (IndexError, ValueError):
        return request.POST.get("action", "")


# --- success messages that say more than the status ------------------------------------


def configuration_read(station: ChargingStation, answer: Answer) -> str:
    count = len(answer.data.get("configuration_key", []))
    unknown = answer.data.get("unknown_key", [])
    return f"{station}: GetConfiguration returned {count} keys" + (f", {len(unknown)} unknown" if unknown else "")


def local_list_version(station: ChargingStation, answer: Answer) -> str:
    version = answer.data.get("list_version", answer.data.get("version_number"))
    return f"{station}: local list version {version}"


# --- commands on things other than a station --------------------------------------------


def remote_stop_each(modeladmin, request, transactions: QuerySet) -> None:
    """RemoteStopTransaction for each active transaction; the others are named and skipped."""
    for tx in transactions.select_related("station"):
        if tx.status != Transaction.Status.ACTIVE:
            modeladmin.message_user(request, f"Transaction {tx.pk} is not active; nothing to stop.", messages.WARNING)
            continue
        send(
            modeladmin,
            request,
            tx.station,
            f"Remote stop of transaction {tx.pk}",
            lambda: commands.remote_stop.sync(tx.station, transaction=tx),
            lambda station, answer: f"{station}: {answer.action} {answer.status} (transaction {tx.pk})",
        )


# A reservation the station holds, or may hold (its ReserveNow went unanswered).
MAY_BE_HELD = (Reservation.Status.ACCEPTED, Reservation.Status.REQUESTED)


def cancel_each(modeladmin, request, reservations: QuerySet) -> None:
    """CancelReservation for each reservation the station may still hold."""
    for reservation in reservations.select_related("station"):
        if reservation.status not in MAY_BE_HELD or reservation.expires_at <= timezone.now():
            modeladmin.message_user(request, f"{reservation} is not held; nothing to cancel.", messages.WARNING)
            continue
        send(
            modeladmin,
            request,
            reservation.station,
            f"Cancel reservation {reservation.pk}",
            lambda: commands.cancel_reservation.sync(reservation.station, reservation_id=reservation.pk),
            lambda station, answer: f"{station}: {answer.action} {answer.status} (reservation {reservation.pk})",
        )


def cancel_held_reservations(modeladmin, request, stations: QuerySet) -> None:
    """Cancel every reservation the selected stations hold now."""
    held = Reservation.objects.filter(
        station__in=stations, status=Reservation.Status.ACCEPTED, expires_at__gt=timezone.now()
    )
    if not held.exists():
        modeladmin.message_user(request, "The selected stations hold no reservation.", messages.INFO)
    cancel_each(modeladmin, request, held)
