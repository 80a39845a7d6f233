from django.contrib import admin

from sessions.models import IdTag, MeterValue, Transaction


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
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["id", "uid", "station", "connector", "id_tag_value", "status", "started_at", "stopped_at", "energy_kwh", "stop_reason"]
    list_filter = ["status", "stop_reason", "authorization_status"]
    search_fields = ["id", "uid", "id_tag_value", "station__charge_point_id"]
    list_select_related = ["station", "connector__evse__station"]
    readonly_fields = [f.name for f in Transaction._meta.fields]
    inlines = [MeterValueInline]

    @admin.display(description="Energy (kWh)")
    def energy_kwh(self, tx: Transaction) -> str:
        return "" if tx.energy_wh is None else f"{tx.energy_wh / 1000:.3f}"


@admin.register(MeterValue)
class MeterValueAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "station", "evse_number", "transaction", "measurand", "phase", "value", "unit"]
    list_filter = ["measurand", "unit"]
    search_fields = ["station__charge_point_id", "transaction__id"]
    list_select_related = ["station"]
