"""A driver's saved cards through the API, against localstripe."""

import pytest

from billing.models import BillingAccount, PaymentCustomer
from sessions.models import DriverSession
from tests.api_fixtures import client_for, driver, other_driver  # noqa: F401
from tests.billing.localstripe_server import localstripe, save_card, stripe_api  # noqa: F401

pytestmark = pytest.mark.django_db


def saved_visa(client, stripe_api, driver) -> str:
    secret = client.post("/api/v1/payment-methods/setup-intent").json()["client_secret"]
    customer = PaymentCustomer.objects.get(driver=driver).stripe_customer_id
    return save_card(stripe_api, secret, customer, "pm_card_visa")


def test_a_card_is_saved_listed_and_removed(stripe_api, driver):
    client = client_for(driver)
    assert client.get("/api/v1/payment-methods").json() == []
    card_id = saved_visa(client, stripe_api, driver)
    cards = client.get("/api/v1/payment-methods").json()
    assert [(c["id"], c["brand"], c["last4"]) for c in cards] == [(card_id, "visa", "4242")]
    assert client.delete(f"/api/v1/payment-methods/{card_id}").status_code == 204
    assert client.get("/api/v1/payment-methods").json() == []


def test_another_drivers_card_cannot_be_removed(stripe_api, driver, other_driver):
    card_id = saved_visa(client_for(driver), stripe_api, driver)
    refused = client_for(other_driver).delete(f"/api/v1/payment-methods/{card_id}")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert [c["id"] for c in client_for(driver).get("/api/v1/payment-methods").json()] == [card_id]


def test_an_unreachable_provider_is_a_503(settings, driver):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    reply = client_for(driver).post("/api/v1/payment-methods/setup-intent")
    assert (reply.status_code, reply.json()["code"]) == (503, "payment_provider_unavailable")


@pytest.fixture
def priced_online_station(station, location, make_tariff, assign):
    assign(make_tariff("T-API", ("ENERGY", "0.40", 1, "19")), location=location)
    station.connection_channel = "specific.fake!channel"
    station.save()
    return station


def test_a_refused_card_refuses_the_start_and_fails_the_session(stripe_api, driver, priced_online_station):
    client = client_for(driver)
    secret = client.post("/api/v1/payment-methods/setup-intent").json()["client_secret"]
    save_card(
        stripe_api, secret, PaymentCustomer.objects.get(driver=driver).stripe_customer_id, "pm_card_chargeCustomerFail"
    )
    refused = client.post(
        "/api/v1/sessions", {"station_id": "CP-BILL", "evse_id": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (refused.status_code, refused.json()["code"]) == (402, "payment_declined")
    replayed = client.post(
        "/api/v1/sessions", {"station_id": "CP-BILL", "evse_id": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (replayed.status_code, replayed.json()) == (402, refused.json())
    session = DriverSession.objects.get()
    assert (session.state, session.error_code, session.payment.status) == ("failed", "payment_declined", "failed")


def test_an_invoice_billed_driver_starts_without_a_card(stripe_api, driver, priced_online_station):
    BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
    started = client_for(driver).post("/api/v1/sessions", {"station_id": "CP-BILL", "evse_id": 1}, format="json")
    assert (started.status_code, started.json()["state"], started.json()["payment"]) == (202, "pending", None)
    assert stripe_api.v1.payment_intents.list().data == []
