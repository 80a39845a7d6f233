"""Charger commands as Django admin actions: send, catch the failure, tell the operator.

Every command goes through the command port (csms.ocpp.commands) or the
domain service that records what the charger answers, one station at a time,
and its outcome becomes one admin message: the charger's answer at SUCCESS,
or why it did not happen at WARNING/ERROR. A failure is never an exception
here, so an unreachable charger never makes a 500.

Commands that need parameters ask for them first (`ask_then_send`): the
action renders its `CommandForm` (command_forms.py) for the selected
stations, and the page posts back to the same action with `apply`, as
Django's delete confirmation does.

Commanding a charger takes the `stations.command_station` permission (the
operator role): actions declare `permissions=["command"]`, and `send` checks
it again, so no path to a charger skips it.

Station actions about things an app above `stations` owns (remote start,
reservations, the local list: `sessions`) are defined in that app's admin and
contributed with `@station_action`; `StationCommands` offers them by name.
"""

import logging
from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.template.response import TemplateResponse

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
from stations import configuration, local_list, passwords
from stations.admin import command_forms as forms
from stations.admin.command_forms import answered
from stations.models import ChargingStation

logger = logging.getLogger(__name__)

COMMAND_PERMISSION = "stations.command_station"

# What a successful answer reads like, given the station and the charger's answer.
Describe = Callable[[ChargingStation, Answer], str]


def speaks(*versions: str) -> Callable:
    """Mark an action as a command only these OCPP versions have (the others' chargers could not take it):
    pages that offer one station's commands leave it out for a station speaking another version."""

    def mark(action: Callable) -> Callable:
        action.ocpp_versions = versions  # type: ignore[attr-defined]
        return action

    return mark


def offered_to(action: Callable, ocpp_version: str) -> bool:
    """Whether a station that negotiated `ocpp_version` (blank: not yet known) could take the action."""
    versions = getattr(action, "ocpp_versions", ())
    return not versions or not ocpp_version or ocpp_version in versions


class CommandPermission:
    """For a ModelAdmin whose actions command chargers: they declare `permissions=["command"]`."""

    def has_command_permission(self, request) -> bool:
        return request.user.has_perm(COMMAND_PERMISSION)


def require_command_permission(request) -> None:
    if not request.user.has_perm(COMMAND_PERMISSION):
        raise PermissionDenied("Commanding chargers takes the permission to send commands to charging stations.")


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
    command: commands.Command,
    describe: Describe = answered,
) -> None:
    """Send the same command to each station, one message each."""
    for station in stations:
        send(modeladmin, request, station, label, lambda: commands.send.sync(station.pk, command), describe)


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
        "next": request.POST.get("next", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/stations/command_form.html", context)


def chosen_action(request) -> str:
    """The action whose button was pushed (a changelist can have two action bars)."""
    try:
        return request.POST.getlist("action")[int(request.POST.get("index", 0))]
    except (IndexError, ValueError):
        return request.POST.get("action", "")


# --- success messages that say more than the status ------------------------------------


def configuration_read(station: ChargingStation, answer: Answer) -> str:
    count, unknown = len(answer.result.keys), answer.result.unknown
    return f"{station}: GetConfiguration returned {count} keys" + (f", {len(unknown)} unknown" if unknown else "")


def local_list_version(station: ChargingStation, answer: Answer) -> str:
    version = answer.data.get("list_version", answer.data.get("version_number"))
    return f"{station}: local list version {version}"


# --- station actions contributed by the apps above stations -------------------------------

# action name → admin action function(modeladmin, request, queryset)
contributed: dict[str, Callable] = {}


def station_action(func: Callable) -> Callable:
    """Offer an admin action of an app above `stations` on the stations' page, by its name."""
    contributed[func.__name__] = func
    return func


class StationCommands(CommandPermission):
    """The ChargingStationAdmin's commands to its chargers: one message per station with its answer
    ("…" marks the ones that ask for parameters first)."""

    def get_action(self, action):
        if isinstance(action, str) and action in contributed:
            func = contributed[action]
            return func, action, self._get_action_description(func, action)
        return super().get_action(action)

    @admin.action(description="Rotate the station password (shows the new one once)", permissions=["command"])
    def rotate_password(self, request, queryset):
        """One message per station: the new password when it was accepted, else why not."""
        for station in queryset:
            password = passwords.new_station_password()
            send(
                self,
                request,
                station,
                "Password rotation",
                lambda: configuration.send_password.sync(station_id=station.pk, password=password),
                lambda rotated, answer: (
                    f"{rotated}: new password accepted and kept: {password} — shown only this once; "
                    "the station uses it from its next connection, the old one no longer works."
                ),
            )

    @admin.action(description="Reset (soft)", permissions=["command"])
    def reset_soft(self, request, queryset):
        send_each(self, request, queryset, "Reset (soft)", commands.Reset(hard=False))

    @admin.action(description="Reset (hard)", permissions=["command"])
    def reset_hard(self, request, queryset):
        send_each(self, request, queryset, "Reset (hard)", commands.Reset(hard=True))

    @admin.action(description="Clear authorization cache", permissions=["command"])
    def clear_cache(self, request, queryset):
        send_each(self, request, queryset, "Clear cache", commands.ClearCache())

    @admin.action(description="Trigger message…", permissions=["command"])
    def trigger_message(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.TriggerMessageForm)

    @speaks("1.6")
    @admin.action(description="Get configuration (refresh the stored keys)", permissions=["command"])
    def get_configuration(self, request, queryset):
        for station in queryset:
            read = lambda: configuration.get_configuration.sync(station_id=station.pk)
            send(self, request, station, "Get configuration", read, configuration_read)

    @speaks("1.6")
    @admin.action(description="Change configuration…", permissions=["command"])
    def change_configuration(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.ChangeConfigurationForm)

    @speaks("2.0.1")
    @admin.action(description="Get base report (2.0.1: refresh the device model)", permissions=["command"])
    def get_base_report(self, request, queryset):
        for station in queryset:  # each with a request id of its own
            report = commands.GetBaseReport()
            send(self, request, station, "Get base report", lambda: commands.send.sync(station.pk, report))

    @speaks("2.0.1")
    @admin.action(description="Get variables (2.0.1)…", permissions=["command"])
    def get_variables(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.GetVariablesForm)

    @speaks("2.0.1")
    @admin.action(description="Set variables (2.0.1)…", permissions=["command"])
    def set_variables(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.SetVariablesForm)

    @admin.action(description="Unlock connector…", permissions=["command"])
    def unlock_connector(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.UnlockConnectorForm)

    @admin.action(description="Change availability…", permissions=["command"])
    def change_availability(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.ChangeAvailabilityForm)

    @admin.action(description="Set charging profile…", permissions=["command"])
    def set_charging_profile(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.SetChargingProfileForm)

    @admin.action(description="Clear charging profile…", permissions=["command"])
    def clear_charging_profile(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.ClearChargingProfileForm)

    @admin.action(description="Get composite schedule…", permissions=["command"])
    def get_composite_schedule(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.GetCompositeScheduleForm)

    @admin.action(description="Get local list version", permissions=["command"])
    def get_local_list_version(self, request, queryset):
        for station in queryset:
            ask = lambda: local_list.get_local_list_version.sync(station_id=station.pk)
            send(self, request, station, "Get local list version", ask, local_list_version)

    @admin.action(description="Update firmware…", permissions=["command"])
    def update_firmware(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.UpdateFirmwareForm)

    @admin.action(description="Get diagnostics…", permissions=["command"])
    def get_diagnostics(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.GetDiagnosticsForm)

    @admin.action(description="Data transfer…", permissions=["command"])
    def data_transfer(self, request, queryset):
        return ask_then_send(self, request, queryset, forms.DataTransferForm)
