"""Charge detail records in the admin: sealed, so shown and never edited."""

from decimal import Decimal

from django.contrib import admin

from billing.models import ChargeDetailRecord


@admin.register(ChargeDetailRecord)
class ChargeDetailRecordAdmin(admin.ModelAdmin):
    """Sealed records: shown, never edited."""

    list_display = [
        "transaction",
        "tariff",
        "start_date_time",
        "end_date_time",
        "total_energy_kwh",
        "total_cost_incl_vat",
        "currency",
    ]
    list_select_related = ["tariff"]
    search_fields = ["transaction__id", "tariff__tariff_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="energy (kWh)")
    def total_energy_kwh(self, record: ChargeDetailRecord) -> Decimal:
        return Decimal(record.total_energy_wh) / 1000
