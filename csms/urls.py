from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing.webhooks import stripe_webhook
from csms import views

# The admin's "View site" link (and its "Live dashboard" button, templates/admin/base_site.html) opens the dashboard.
admin.site.site_url = "/dashboard/"
admin.site.site_header = "Voltstack administration"
admin.site.site_title = "Voltstack admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("map/", RedirectView.as_view(pattern_name="dashboard:map"), name="map"),
    path("api/v1/", include("csms.api.urls")),
    path("ocpi/", include("roaming.urls")),
    path("stripe/webhook", stripe_webhook, name="stripe-webhook"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

handler404 = "csms.views.not_found"
handler500 = "csms.views.server_error"
