"""Who may use the drivers' API."""

from rest_framework.permissions import BasePermission


class IsDriver(BasePermission):
    """An active driver account. Operators (staff) run the network from the admin:
    they do not act as drivers here."""

    message = "Sign in with a driver account."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and not user.is_staff)
