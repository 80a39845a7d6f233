"""/api/v1: the drivers' REST API; and the WebSocket routes of its live streams."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from accounts import api as accounts
from billing import api as billing
from csms.api.websocket_auth import JwtAuthMiddleware
from sessions import api as sessions
from sessions.consumers import SessionStreamConsumer
from stations import api as stations
from stations.consumers import StationStatusConsumer

router = SimpleRouter(trailing_slash=False)
router.register("sessions", sessions.SessionViewSet, basename="session")
router.register("id-tokens", sessions.IdTokenViewSet, basename="id-token")
router.register("invoices", billing.InvoiceViewSet, basename="invoice")

urlpatterns = [
    path("auth/signup", accounts.SignUpView.as_view(), name="signup"),
    path("auth/token", accounts.LoginView.as_view(), name="token"),
    path("auth/token/refresh", accounts.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout", accounts.LogoutView.as_view(), name="logout"),
    path("me", accounts.ProfileView.as_view(), name="profile"),
    path("me/password", accounts.PasswordChangeView.as_view(), name="password"),
    path("payment-methods", billing.PaymentMethodsView.as_view(), name="payment-methods"),
    path("payment-methods/setup-intent", billing.SetupIntentView.as_view(), name="setup-intent"),
    path("payment-methods/<str:payment_method_id>", billing.PaymentMethodView.as_view(), name="payment-method"),
    *stations.urlpatterns,
    *router.urls,
]

websocket_urlpatterns = [
    re_path(r"^ws/v1/sessions/(?P<session_id>\d+)$", JwtAuthMiddleware(SessionStreamConsumer.as_asgi())),
    re_path(r"^ws/v1/stations$", JwtAuthMiddleware(StationStatusConsumer.as_asgi())),
]
