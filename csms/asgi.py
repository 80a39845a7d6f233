"""ASGI entry point: HTTP goes to Django; WebSockets to the OCPP consumer, the drivers' and the dashboard's sockets."""

import os

from csms.secrets import require_deployment_secrets

require_deployment_secrets()  # before anything is served with a secret that protects nothing

from django.core.asgi import get_asgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csms.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.core.signals import request_finished  # noqa: E402

from csms.db import close_request_connections  # noqa: E402

if settings.DATABASE_CONCURRENT_WRITES:  # SQLite keeps its connections: see DATABASES in settings
    request_finished.connect(close_request_connections)

if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from csms.api.urls import websocket_urlpatterns as api_websockets  # noqa: E402
from csms.denial import UnknownPathConsumer  # noqa: E402
from csms.ocpp.routing import websocket_urlpatterns as ocpp_websockets  # noqa: E402
from dashboard.routing import websocket_urlpatterns as dashboard_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # last: a path no route serves is refused with a 404, not a 500
        "websocket": URLRouter(
            [*ocpp_websockets, *api_websockets, *dashboard_websockets, re_path(r"", UnknownPathConsumer.as_asgi())]
        ),
    }
)
