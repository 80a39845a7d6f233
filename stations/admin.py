from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from stations.models import (
    ChargingStation,
    Connector,
    DataTransferMessage,
    DataTransferVendor,
    Evse,
    Location,
    NetworkSettings,
    RegistrationStatus,
    StationEvent,
    StatusEvent,
)


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


@admin.register(ChargingStation)
class ChargingStationAdmin(admin.ModelAdmin):
    form = StationForm
    list_display = [
        "charge_point_id",
        "location",
        "registration_status",
        "online",
        "status",
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
        "status",
        "error_code",
        "status_updated_at",
        "firmware_status",
        "firmware_status_at",
        "diagnostics_status",
        "diagnostics_status_at",
        "auto_registered",
    ]
    inlines = [EvseInline]
    actions = ["accept_stations", "reject_stations"]

    @admin.display(description="OCPP messages")
    def message_log(self, station: ChargingStation) -> str:
        url = reverse("admin:ocpp_ocppmessage_changelist") + f"?charge_point_id={station.charge_point_id}"
        return format_html('<a href="{}">Every frame in and out</a>', url)

    @admin.display(boolean=True)
    def online(self, station: ChargingStation) -> bool:
        return station.is_connected

    @admin.action(description="Accept selected stations (answer their next BootNotification Accepted)")
    def accept_stations(self, request, queryset) -> None:
        count = queryset.update(registration_status=RegistrationStatus.ACCEPTED)
        self.message_user(request, f"{count} station(s) accepted.", messages.SUCCESS)

    @admin.action(description="Reject selected stations")
    def reject_stations(self, request, queryset) -> None:
        count = queryset.update(registration_status=RegistrationStatus.REJECTED)
        self.message_user(request, f"{count} station(s) rejected.", messages.WARNING)


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    readonly_fields = ["status", "error_code", "vendor_error_code", "info", "status_updated_at"]


@admin.register(Evse)
class EvseAdmin(admin.ModelAdmin):
    list_display = ["station", "evse_id"]
    search_fields = ["station__charge_point_id"]
    inlines = [ConnectorInline]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["evse", "connector_id", "standard", "max_power_w", "status", "error_code", "status_updated_at"]
    list_filter = ["status", "standard"]
    search_fields = ["evse__station__charge_point_id"]


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "station", "connector", "previous_status", "status", "error_code", "info"]
    list_filter = ["status", "error_code"]
    search_fields = ["station__charge_point_id"]
    list_select_related = ["station", "connector__evse__station"]


@admin.register(StationEvent)
class StationEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "station", "kind", "summary"]
    list_filter = ["kind"]
    search_fields = ["station__charge_point_id", "summary"]
    list_select_related = ["station"]


@admin.register(DataTransferVendor)
class DataTransferVendorAdmin(admin.ModelAdmin):
    list_display = ["vendor_id", "message_id", "accept"]


@admin.register(DataTransferMessage)
class DataTransferMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "station", "vendor_id", "message_id", "response_status"]
    search_fields = ["station__charge_point_id", "vendor_id", "message_id", "data"]
