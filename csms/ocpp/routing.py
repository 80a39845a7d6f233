from django.urls import re_path

from csms.ocpp.consumer import OcppConsumer

websocket_urlpatterns = [
    re_path(r"^ocpp/(?P<charge_point_id>[^/]+)/?$", OcppConsumer.as_asgi()),
]
