"""Id tags, transactions with their readings, reservations; the commands about them are in commands.py."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from csms.admin import AuditAdmin
from sessions import closing
from sessions.admin.commands import cancel_each, remote_stop_each
from sessions.models import AuthorizationStatus, EvChargingNeeds, IdTag, MeterValue, Reservation, Transaction
from stations.admin.commands import CommandPermission, chosen_action


class RefusedFilter(admin.SimpleListFilter):
    """Starts the CSMS refused (blocked, expired, unknown or concurrent token): kept, never billed."""

    title = "refused"
    parameter_name = "refused"

    def lookups(self, request, model_admin):
        return [("yes", "Refused (not billed)"), ("no", "Authorised")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(authorization_status=AuthorizationStatus.ACCEPTED)
        if self.value() == "no":
            return queryset.filter(authorization_status=AuthorizationStatus.ACCEPTED)
        return queryset


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


class EvChargingNeedsInline(admin.StackedInline):
    """What the car last reported it needs (2.0.1 NotifyEVChargingNeeds): as reported, not editable."""

    model = EvChargingNeeds
    extra = 0
    can_delete = False
    fields = [
        "energy_transfer",
        "departure_at",
        "energy_wh",
        "min_current_a",
        "max_current_a",
        "max_voltage_v",
        "max_power_w",
        "reported_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(CommandPermission, AuditAdmin):
    list_display = [
        "id",
        "uid",
        "station",
        "connector",
        "id_tag_value",
        "authorization",
        "status",
        "started_at",
        "stopped_at",
        "energy_kwh",
        "stop_reason",
    ]
    list_filter = ["status", RefusedFilter, "stop_reason", "authorization_status"]
    search_fields = ["id", "uid", "id_tag_value", "station__charge_point_id"]
    list_select_related = ["station", "connector__evse__station"]
    readonly_fields = [f.name for f in Transaction._meta.fields]
    inlines = [EvChargingNeedsInline, MeterValueInline]
    actions = ["remote_stop", "force_close"]

    @admin.display(description="Authorization", ordering="authorization_status")
    def authorization(self, tx: Transaction) -> str:
        if tx.authorization_status == AuthorizationStatus.ACCEPTED:
            return tx.authorization_status
        return f"Refused: {tx.authorization_status} (not billed)"

    @admin.display(description="Energy (kWh)")
    def energy_kwh(self, tx: Transaction) -> str:
        return "" if tx.energy_wh is None else f"{tx.energy_wh / 1000:.3f}"

    @admin.action(description="Remote stop (active transactions)", permissions=["command"])
    def remote_stop(self, request, queryset):
        remote_stop_each(self, request, queryset)

    def has_force_close_permission(self, request) -> bool:
        return request.user.has_perm("charging.force_close_transaction")

    @admin.action(description="Force-close (the charger will never stop them)", permissions=["force_close"])
    def force_close(self, request, queryset):
        """Ask for the reason, then end each active transaction from its last reading, billed."""
        form = ForceCloseForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Force-close transactions",
                "opts": self.model._meta,
                "form": form,
                "objects": queryset,
                "submit_label": "Force-close",
                "action": chosen_action(request),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/charging/transaction/force_close.html", context)
        operator = request.user.get_username()
        for tx in queryset:
            if closing.force_close(transaction_id=tx.pk, reason=form.cleaned_data["reason"], operator=operator):
                self.message_user(
                    request, f"Transaction {tx.pk} force-closed and billed from its last reading.", messages.SUCCESS
                )
            else:
                self.message_user(request, f"Transaction {tx.pk} is not active; nothing to close.", messages.WARNING)
        return None


class ForceCloseForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the transaction and in the station's events, with your user name.",
    )


@admin.register(Reservation)
class ReservationAdmin(CommandPermission, admin.ModelAdmin):
    """Reservations made with the stations' Reserve now action, with what each station answered."""

    list_display = ["id", "station", "evse_number", "id_tag", "status", "station_answer", "expires_at", "created_at"]
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
