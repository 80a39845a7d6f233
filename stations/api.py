"""The drivers' view of stations (placeholder until station search lands)."""
urlpatterns = []
