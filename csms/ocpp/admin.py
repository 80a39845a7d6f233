from django.contrib import admin

from csms.admin import AuditAdmin
from csms.ocpp.models import OcppMessage, RefusedConnection


@admin.register(OcppMessage)
class OcppMessageAdmin(AuditAdmin):
    """The message log: every frame in and out, searchable by station, action, id and content."""

    list_display = ["created_at", "charge_point_id", "direction", "message_type", "action", "unique_id", "error"]
    list_filter = ["direction", "message_type", "action"]
    search_fields = ["charge_point_id", "unique_id", "action", "payload"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OcppMessage._meta.fields]


@admin.register(RefusedConnection)
class RefusedConnectionAdmin(admin.ModelAdmin):
    """Chargers (or guessers) whose handshake was refused: unknown ids, wrong passwords, no subprotocol."""

    list_display = ["last_seen_at", "charge_point_id", "client_address", "reason", "attempts", "first_seen_at"]
    list_filter = ["reason"]
    search_fields = ["charge_point_id", "client_address"]
    date_hierarchy = "last_seen_at"
    readonly_fields = [f.name for f in RefusedConnection._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
