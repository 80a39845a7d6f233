"""The base of the admins for records of money (invoices, payments): shown, never edited by hand."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened with money (invoices, payments): shown, never edited by hand;
    actions that change them (send again, refund) go through the services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
