"""What the admin pages of every app share."""

from django.contrib import admin


class AuditAdmin(admin.ModelAdmin):
    """A record of what happened (a frame, a status, a reading, a transaction): shown, never written by hand.

    Nobody adds, edits or deletes one here, superusers included: billing,
    disputes and the chargers' history rest on these rows, and the retention
    purge removes old ones by policy. Actions that ask a charger or a service
    to act (remote stop, force-close) stay possible, each with its own
    permission.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
