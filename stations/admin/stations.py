"""Locations, network settings, stations with their EVSEs and connectors, as operators edit them."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from csms.ocpp import commands
from stations.admin.commands import CommandPermission, StationCommands, chosen_action, send
from stations.models import (
    ChargingStation,
    ConfigurationKey,
    Connector,
    Evse,
    Location,
    NetworkSettings,
    RegistrationStatus,
)
from stations.selectors.status import station_state
from stations.services.connections import change_registration


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "country", "time_zone"]
    search_fields = ["name", "address", "city"]


@admin.register(NetworkSettings)
class NetworkSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return not NetworkSettings.objects.exists()


class StationForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="The HTTP Basic password the charger connects with (16+ characters). Stored hashed.",
    )

    class Meta:
        model = ChargingStation
        exclude = ["password_hash"]

    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        if password and len(password) < 16:
            raise forms.ValidationError("Use at least 16 characters: OCPP security profile 1 asks for 16 to 40.")
        return password

    def save(self, commit=True):
        station = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            station.set_password(self.cleaned_data["new_password"])
        if commit:
            station.save()
        return station


class EvseInline(admin.TabularInline):
    model = Evse
    extra = 0
    show_change_link = True


class ShownOnlyFormSet(BaseInlineFormSet):
    """The formset of an inline that only shows rows: it reads nothing from the POST (a form
    posted without its management data is fine) and saves nothing."""

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(None, None, **kwargs)

    def is_valid(self) -> bool:
        return True

    def save(self, commit=True) -> list:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class ConfigurationKeyInline(admin.TabularInline):
    """The configuration as the station last reported it; refreshed by the Get configuration action."""

    model = ConfigurationKey
    formset = ShownOnlyFormSet
    fields = readonly_fields = ["key", "value", "readonly", "updated_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = "configuration (as last read with Get configuration, or set with Change configuration)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChargingStation)
class ChargingStationAdmin(StationCommands, admin.ModelAdmin):
    form = StationForm
    list_display = [
        "charge_point_id",
        "location",
        "registration_status",
        "online",
        "state",
        "vendor",
        "model",
        "firmware_version",
        "ocpp_version",
        "last_heartbeat_at",
    ]
    list_filter = ["registration_status", "ocpp_version", "vendor", "lenient", "auto_registered"]
    search_fields = ["charge_point_id", "serial_number", "vendor", "model"]
    readonly_fields = [
        "message_log",
        "vendor",
        "model",
        "serial_number",
        "charge_box_serial_number",
        "firmware_version",
        "iccid",
        "imsi",
        "meter_type",
        "meter_serial_number",
        "ocpp_version",
        "heartbeat_interval",
        "last_boot_at",
        "last_heartbeat_at",
        "connection_channel",
        "connected_at",
        "disconnected_at",
        "state",
        "status",
        "error_code",
        "status_updated_at",
        "firmware_status",
        "firmware_status_at",
        "diagnostics_status",
        "diagnostics_status_at",
        "auto_registered",
    ]
    inlines = [EvseInline, ConfigurationKeyInline]
    change_form_template = "admin/stations/station_change_form.html"
    # The commands are StationCommands' (remote start, reservations and the local list: sessions').
    actions = [
        "accept_stations",
        "reject_stations",
        "reset_soft",
        "reset_hard",
        "clear_cache",
        "trigger_message",
        "get_configuration",
        "change_configuration",
        "get_base_report",
        "get_variables",
        "set_variables",
        "unlock_connector",
        "change_availability",
        "remote_start",
        "reserve_now",
        "cancel_reservation",
        "set_charging_profile",
        "clear_charging_profile",
        "get_composite_schedule",
        "get_local_list_version",
        "send_local_list",
        "update_firmware",
        "get_diagnostics",
        "data_transfer",
        "rotate_password",
    ]

    def get_urls(self):
        command = self.admin_site.admin_view(self.command_view)
        return [
            path("<path:object_id>/command/", command, name="stations_chargingstation_command"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change page offers the actions for this one station (see command_view)."""
        choices = [
            choice for choice in self.get_action_choices(request, default_choices=[]) if choice[0] != "delete_selected"
        ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "command_choices": choices})

    def command_view(self, request, object_id):
        """Run an action chosen on the change page on its station, then come back to the page."""
        station = self.get_object(request, object_id)
        if station is None:
            raise Http404(f"No charging station with id {object_id}")
        if not self.has_view_or_change_permission(request, station):
            raise PermissionDenied
        back = redirect(self._back_from_command(request, station))
        if request.method != "POST":
            return back
        if chosen_action(request) not in self.get_actions(request):  # not offered to this user, or no such action
            raise PermissionDenied
        response = self.response_action(request, self.get_queryset(request).filter(pk=station.pk))
        return back if response is None or response.status_code == 302 else response

    @staticmethod
    def _back_from_command(request, station: ChargingStation) -> str:
        """Where the operator came from (the dashboard's station page posts `next`), if it is this site's."""
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return back
        return reverse("admin:stations_chargingstation_change", args=[station.pk])

    @admin.display(description="OCPP messages")
    def message_log(self, station: ChargingStation) -> str:
        url = reverse("admin:ocpp_ocppmessage_changelist") + f"?charge_point_id={station.charge_point_id}"
        return format_html('<a href="{}">Every frame in and out</a>', url)

    @admin.display(boolean=True)
    def online(self, station: ChargingStation) -> bool:
        return station.is_connected

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("evses__connectors")

    @admin.display(description="state")
    def state(self, station: ChargingStation) -> str:
        """What the station is doing, from its socket and every connector (not connector 0's last word)."""
        return station_state(station=station).label

    def has_accept_permission(self, request) -> bool:
        return request.user.has_perm("stations.accept_station")

    @admin.action(
        description="Accept selected stations (answer their next BootNotification Accepted)", permissions=["accept"]
    )
    def accept_stations(self, request, queryset) -> None:
        count = change_registration(
            station_ids=list(queryset.values_list("pk", flat=True)),
            status=RegistrationStatus.ACCEPTED,
            by=request.user.get_username(),
        )
        self.message_user(request, f"{count} station(s) accepted.", messages.SUCCESS)

    @admin.action(description="Reject selected stations (closes their connections)", permissions=["accept"])
    def reject_stations(self, request, queryset) -> None:
        count = change_registration(
            station_ids=list(queryset.values_list("pk", flat=True)),
            status=RegistrationStatus.REJECTED,
            by=request.user.get_username(),
        )
        self.message_user(request, f"{count} station(s) rejected.", messages.WARNING)

    def save_model(self, request, obj: ChargingStation, form, change) -> None:
        """A registration status changed on the form goes through the service, like the actions:
        a station no longer Accepted loses its connection. A station without a password is
        saved, with a warning: it cannot connect until it has one."""
        if change and "registration_status" in form.changed_data:  # the same admin transaction as the save
            change_registration(station_ids=[obj.pk], status=obj.registration_status, by=request.user.get_username())
        super().save_model(request, obj, form, change)
        if not obj.password_hash:
            self.message_user(
                request,
                f"{obj} has no password: it cannot connect until one is set in “New password”.",
                messages.WARNING,
            )


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    readonly_fields = ["status", "error_code", "vendor_error_code", "info", "status_updated_at"]


@admin.register(Evse)
class EvseAdmin(admin.ModelAdmin):
    list_display = ["station", "number"]
    search_fields = ["station__charge_point_id"]
    inlines = [ConnectorInline]


@admin.register(Connector)
class ConnectorAdmin(CommandPermission, admin.ModelAdmin):
    list_display = ["evse", "number", "standard", "max_power_w", "status", "error_code", "status_updated_at"]
    list_filter = ["status", "standard"]
    search_fields = ["evse__station__charge_point_id"]
    list_select_related = ["evse__station"]
    actions = ["unlock", "make_operative", "make_inoperative"]

    @admin.action(description="Unlock", permissions=["command"])
    def unlock(self, request, queryset):
        self._each(request, queryset, "Unlock", lambda evse, connector: commands.UnlockConnector(evse, connector))

    @admin.action(description="Make operative", permissions=["command"])
    def make_operative(self, request, queryset):
        self._each(
            request,
            queryset,
            "Make operative",
            lambda evse, connector: commands.ChangeAvailability(evse, True, connector),
        )

    @admin.action(description="Make inoperative", permissions=["command"])
    def make_inoperative(self, request, queryset):
        self._each(
            request,
            queryset,
            "Make inoperative",
            lambda evse, connector: commands.ChangeAvailability(evse, False, connector),
        )

    def _each(self, request, connectors, label: str, command_for) -> None:
        """`command_for(evse number, connector number)` sent for each connector, one message each."""
        for connector in connectors.select_related("evse__station"):
            station = connector.evse.station
            command = command_for(connector.evse.number, connector.number)
            send(self, request, station, f"{label} {connector}", lambda: commands.send.sync(station.pk, command))
