from django.contrib import admin

from csms.admin import AuditAdmin
from csms.ocpp.admin_actions import CommandPermission, cancel_each, remote_stop_each
from sessions.models import IdTag, MeterValue, Reservation, Transaction


@admin.register(IdTag)
class IdTagAdmin(admin.ModelAdmin):
    list_display = ["id_tag", "token_type", "status", "expires_at", "parent", "owner"]
    list_filter = ["status", "token_type"]
    search_fields = ["id_tag", "owner__username", "owner__email"]
    raw_id_fields = ["parent", "owner"]


class MeterValueInline(admin.TabularInline):
    model = MeterValue
    extra = 0
    can_delete = False
    fields = ["timestamp", "measurand", "phase", "location", "context", "value", "unit", "raw_value", "raw_unit"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(CommandPermission, AuditAdmin):
    list_display = ["id", "uid", "station", "connector", "id_tag_value", "status", "started_at", "stopped_at", "energy_kwh", "stop_reason"]
    list_filter = ["status", "stop_reason", "authorization_status"]
    search_fields = ["id", "uid", "id_tag_value", "station__charge_point_id"]
    list_select_related = ["station", "connector__evse__station"]
    readonly_fields = [f.name for f in Transaction._meta.fields]
    inlines = [MeterValueInline]
    actions = ["remote_stop"]

    @admin.display(description="Energy (kWh)")
    def energy_kwh(self, tx: Transaction) -> str:
        return "" if tx.energy_wh is None else f"{tx.energy_wh / 1000:.3f}"

    @admin.action(description="Remote stop (active transactions)", permissions=["command"])
    def remote_stop(self, request, queryset):
        remote_stop_each(self, request, queryset)


@admin.register(Reservation)
class ReservationAdmin(CommandPermission, admin.ModelAdmin):
    """Reservations made with the stations' Reserve now action, with what each station answered."""

    list_display = ["id", "station", "evse_id", "id_tag", "status", "station_answer", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["id_tag", "station__charge_point_id"]
    list_select_related = ["station"]
    readonly_fields = [f.name for f in Reservation._meta.fields]
    actions = ["cancel"]

    def has_add_permission(self, request) -> bool:
        return False  # made with the stations' Reserve now action, which asks the station

    @admin.action(description="Cancel reservation", permissions=["command"])
    def cancel(self, request, queryset):
        cancel_each(self, request, queryset)


@admin.register(MeterValue)
class MeterValueAdmin(AuditAdmin):
    list_display = ["timestamp", "station", "evse_number", "transaction", "measurand", "phase", "value", "unit"]
    list_filter = ["measurand", "unit"]
    search_fields = ["station__charge_point_id", "transaction__id"]
    list_select_related = ["station"]
