from django.contrib import admin

from csms.admin import AuditAdmin
from csms.ocpp.models import OcppMessage


@admin.register(OcppMessage)
class OcppMessageAdmin(AuditAdmin):
    """The message log: every frame in and out, searchable by station, action, id and content."""

    list_display = ["created_at", "charge_point_id", "direction", "message_type", "action", "unique_id", "error"]
    list_filter = ["direction", "message_type", "action"]
    search_fields = ["charge_point_id", "unique_id", "action", "payload"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OcppMessage._meta.fields]
