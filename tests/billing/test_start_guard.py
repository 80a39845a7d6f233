"""Billing guards a driver's remote start: sessions asks its registered guards and sees only domain errors."""

import pytest

from billing.payments import holds
from sessions import guards
from sessions.models import DriverSession
from tests.api_fixtures import client_for, driver  # noqa: F401
from tests.billing.test_payment_methods_api import priced_online_station  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_billing_registers_its_hold_as_a_start_guard():
    assert holds.hold_before_start in guards._start_guards


def test_an_unreachable_provider_refuses_the_start_with_a_503_and_fails_the_session(
    settings, driver, priced_online_station, django_capture_on_commit_callbacks
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    with django_capture_on_commit_callbacks() as published:
        refused = client_for(driver).post("/api/v1/sessions", {"station_id": "CP-BILL", "evse_id": 1}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (503, "payment_provider_unavailable")
    assert refused.json()["message"] == "The payment provider could not be reached (APIConnectionError)."
    session = DriverSession.objects.get()
    assert (session.state, session.error_code) == ("failed", "payment_provider_unavailable")
    assert len(published) == 1  # the failure, for the live socket and billing; the charger is never asked
