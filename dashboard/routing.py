"""The dashboard's WebSocket routes, signed in by the admin's session cookie; the Origin must be one of ours."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from dashboard.consumers import DashboardConsumer


def _staff_socket(consumer):
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer.as_asgi()))


websocket_urlpatterns = [
    re_path(r"^ws/dashboard$", _staff_socket(DashboardConsumer)),
    re_path(r"^ws/dashboard/stations/(?P<station_id>\d+)$", _staff_socket(DashboardConsumer)),
]
