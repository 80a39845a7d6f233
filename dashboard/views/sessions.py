"""PLACEHOLDER of the skeleton: the helper building this page replaces the whole module."""

from django.http import JsonResponse
from django.urls import path

from dashboard.access import staff_page
from dashboard.views.base import render_page


@staff_page
def placeholder(request, **kwargs):
    return render_page(request, "dashboard/base.html")


@staff_page
def summary(request):
    return JsonResponse({"open": 0})


urlpatterns = [
    path("sessions/", placeholder, name="sessions"),
    path("sessions.csv", placeholder, name="sessions-csv"),
    path("sessions/<int:transaction_id>/", placeholder, name="session"),
]
