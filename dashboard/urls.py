"""The dashboard's pages at /dashboard/: each page module lists its own routes."""

from dashboard.views import alerts, analytics, live_map, overview, partners, sessions, stations

app_name = "dashboard"

urlpatterns = [
    *overview.urlpatterns,
    *live_map.urlpatterns,
    *stations.urlpatterns,
    *sessions.urlpatterns,
    *alerts.urlpatterns,
    *analytics.urlpatterns,
    *partners.urlpatterns,
]
