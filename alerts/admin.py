"""Alerts in the admin: shown as the rules wrote them, acknowledged and resolved through alerts.services."""

from django.contrib import admin, messages

from alerts import services
from alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Nothing here is edited by hand: the rules write alerts, operators acknowledge or resolve them (actions)."""

    list_display = ["title", "rule", "severity", "state", "charge_point_id", "opened_at", "last_seen_at", "resolved_at"]
    list_filter = ["state", "rule", "severity", "auto_resolved"]
    search_fields = ["title", "charge_point_id", "subject"]
    date_hierarchy = "opened_at"
    actions = ["acknowledge", "resolve"]
    readonly_fields = [
        "rule",
        "subject",
        "station",
        "charge_point_id",
        "title",
        "details",
        "severity",
        "state",
        "opened_at",
        "last_seen_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "auto_resolved",
        "cleared_at",
        "emailed_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_handle_permission(self, request) -> bool:
        return request.user.has_perm("alerts.change_alert")

    @admin.action(description="Acknowledge", permissions=["handle"])
    def acknowledge(self, request, queryset):
        self._each(request, queryset, services.acknowledge, "acknowledged")

    @admin.action(description="Resolve", permissions=["handle"])
    def resolve(self, request, queryset):
        self._each(request, queryset, services.resolve, "resolved")

    def _each(self, request, queryset, move, done: str) -> None:
        moved = 0
        for alert_id in queryset.values_list("pk", flat=True):
            try:
                move(alert_id=alert_id, user=request.user)
            except services.AlertClosed as closed:
                self.message_user(request, str(closed), messages.WARNING)
            else:
                moved += 1
        self.message_user(request, f"{moved} alert(s) {done}.", messages.SUCCESS)
