"""What stations reported: status changes, their own events, vendor data transfers."""

from django.contrib import admin

from csms.admin import AuditAdmin
from stations.models import DataTransferMessage, DataTransferVendor, StationEvent, StatusEvent


@admin.register(StatusEvent)
class StatusEventAdmin(AuditAdmin):
    list_display = ["timestamp", "station", "connector", "previous_status", "status", "error_code", "info"]
    list_filter = ["status", "error_code"]
    search_fields = ["station__charge_point_id"]
    list_select_related = ["station", "connector__evse__station"]


@admin.register(StationEvent)
class StationEventAdmin(AuditAdmin):
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
