"""Charge detail records: each finished session priced once and kept as priced."""

from django.db import models

from billing.models.money import money_field
from billing.models.tariffs import Tariff


class ChargeDetailRecord(models.Model):
    """A finished session priced once and kept as priced (OCPI CDR totals), one per transaction."""

    transaction = models.OneToOneField(
        "charging.Transaction", on_delete=models.PROTECT, related_name="charge_detail_record"
    )
    tariff = models.ForeignKey(Tariff, null=True, on_delete=models.SET_NULL, related_name="charge_detail_records")
    tariff_snapshot = models.JSONField(help_text="The tariff as it priced this session (OCPI JSON)")
    currency = models.CharField(max_length=3)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    total_cost_excl_vat = money_field()
    total_cost_incl_vat = money_field()
    total_fixed_cost_excl_vat = money_field()
    total_fixed_cost_incl_vat = money_field()
    total_energy_wh = models.BigIntegerField()
    total_energy_cost_excl_vat = money_field()
    total_energy_cost_incl_vat = money_field()
    total_time = models.DurationField()
    total_time_cost_excl_vat = money_field()
    total_time_cost_incl_vat = money_field()
    total_parking_time = models.DurationField()
    total_parking_cost_excl_vat = money_field()
    total_parking_cost_incl_vat = money_field()
    total_reservation_cost_excl_vat = money_field()
    total_reservation_cost_incl_vat = money_field()
    charging_periods = models.JSONField(help_text="OCPI ChargingPeriods: start_date_time, dimensions, tariff_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end_date_time"]
        verbose_name = "charge detail record"

    def __str__(self) -> str:
        return f"CDR of transaction {self.transaction_id}: {self.total_cost_incl_vat} {self.currency}"
