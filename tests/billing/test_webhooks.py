"""Stripe's webhook: signed events only, each recorded once, and what each handled type does to our payments.

Payloads are signed with the SDK's own test helper,
stripe.WebhookSignature.generate_signature_header, and posted through
Django's test client to the view mounted by this module's urlconf.
"""

import json
import uuid
from decimal import Decimal

import pytest
import stripe
from django.conf import settings
from django.urls import path

from billing.models import Payment, Refund, StripeEvent
from billing.payments import holds, refunds, settlement
from billing.webhooks import stripe_webhook
from tests.billing.localstripe_server import localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_payments import driver, make_session, saved_card  # noqa: F401 (fixtures)

urlpatterns = [path("stripe/webhook", stripe_webhook)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def stripe_event(type_: str, obj: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": type_, "data": {"object": obj}}


def post_signed(client, body: str, secret: str | None = None):
    """POST a body as Stripe would, signed for `secret` (default: ours) by the SDK's helper."""
    header = stripe.WebhookSignature.generate_signature_header(body, secret or settings.STRIPE_WEBHOOK_SECRET)
    return client.post("/stripe/webhook", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def send(client, event: dict):
    return post_signed(client, json.dumps(event))


def intent(intent_id: str, amount_received: int = 0, **fields) -> dict:
    return {"id": intent_id, "object": "payment_intent", "amount_received": amount_received, "metadata": {}, **fields}


def state(payment: Payment) -> tuple:
    """Everything a webhook may change on a payment, to compare before and after."""
    payment.refresh_from_db()
    return (
        payment.status,
        payment.amount_captured,
        payment.excess_payment_intent_id,
        payment.amount_excess,
        payment.failure_code,
        payment.updated_at,
        StripeEvent.objects.count(),
        Refund.objects.count(),
    )


@pytest.fixture
def hold(make_session):
    """A session with an authorised hold, as `holds.preauthorize` leaves it (no Stripe needed here)."""
    return Payment.objects.create(
        driver_session=make_session("10.00"),
        stripe_payment_intent_id="pi_hold",
        currency="EUR",
        amount_authorised=Decimal("50.00"),
        status=Payment.Status.AUTHORISED,
    )


@pytest.mark.parametrize("secret", ["whsec_someone_else", None])
def test_a_bad_or_missing_signature_is_refused(client, secret):
    body = json.dumps(stripe_event("payment_intent.succeeded", intent("pi_hold")))
    response = (
        post_signed(client, body, secret)
        if secret
        else client.post("/stripe/webhook", data=body, content_type="application/json")
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert response.json()["message"] and not StripeEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(client):
    body = json.dumps(stripe_event("payment_intent.canceled", intent("pi_hold")))
    header = stripe.WebhookSignature.generate_signature_header(body, settings.STRIPE_WEBHOOK_SECRET)
    tampered = body.replace("canceled", "succeeded")
    response = client.post(
        "/stripe/webhook", data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"


def test_the_secret_comes_from_settings(client, settings):
    development_secret = settings.STRIPE_WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_SECRET = "whsec_production"
    body = json.dumps(stripe_event("customer.created", {"id": "cus_1"}))
    assert post_signed(client, body, development_secret).status_code == 400
    assert post_signed(client, body, "whsec_production").status_code == 200


@pytest.mark.parametrize("body", ["{not json", "[]", json.dumps({"id": "evt_1", "type": "charge.refunded"})])
def test_a_signed_body_that_is_no_event_is_refused(client, body):
    response = post_signed(client, body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_payload"
    assert not StripeEvent.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get("/stripe/webhook").status_code == 405


def test_an_unknown_type_is_recorded_as_ignored(client):
    event = stripe_event("customer.created", {"id": "cus_1"})
    assert send(client, event).status_code == 200
    record = StripeEvent.objects.get()
    assert (record.stripe_event_id, record.type, record.outcome, record.payload) == (
        event["id"],
        "customer.created",
        "ignored",
        event,
    )


def test_an_event_for_an_intent_we_do_not_know_changes_nothing(client, hold):
    before = state(hold)
    for type_ in ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"):
        assert send(client, stripe_event(type_, intent("pi_not_ours", 1000))).status_code == 200
    assert set(StripeEvent.objects.values_list("outcome", flat=True)) == {"unmatched"}
    assert state(hold)[:6] == before[:6]


def test_a_hold_captured_without_us_is_recorded_and_a_replay_changes_nothing(client, hold):
    event = stripe_event("payment_intent.succeeded", intent("pi_hold", 1234))
    assert send(client, event).json() == {"received": True, "duplicate": False}
    hold.refresh_from_db()
    assert (hold.status, hold.amount_captured, StripeEvent.objects.get().outcome) == (
        "captured",
        Decimal("12.34"),
        "handled",
    )
    before = state(hold)
    assert send(client, event).json() == {"received": True, "duplicate": True}
    assert state(hold) == before


def test_success_of_our_own_capture_keeps_the_amount_we_recorded(client, hold):
    Payment.objects.filter(pk=hold.pk).update(status=Payment.Status.CAPTURED, amount_captured=Decimal("12.3449"))
    before = state(hold)
    send(client, stripe_event("payment_intent.succeeded", intent("pi_hold", 1234)))
    assert state(hold)[:6] == before[:6]


def test_an_excess_charge_we_did_not_record_is_found_through_its_hold(client, hold):
    Payment.objects.filter(pk=hold.pk).update(
        status=Payment.Status.CAPTURED, amount_captured=Decimal("50.00"), failure_code="x"
    )
    send(client, stripe_event("payment_intent.succeeded", intent("pi_excess", 2321, metadata={"excess_of": "pi_hold"})))
    hold.refresh_from_db()
    assert (hold.excess_payment_intent_id, hold.amount_excess, hold.amount_captured, hold.failure_code) == (
        "pi_excess",
        Decimal("23.21"),
        Decimal("50.00"),
        "",
    )


def test_a_failed_hold_or_excess_records_the_failure_code(client, hold):
    declined = {"last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"}}
    send(client, stripe_event("payment_intent.payment_failed", intent("pi_hold", **declined)))
    hold.refresh_from_db()
    assert (hold.failure_code, hold.status) == ("card_declined", "authorised")
    Payment.objects.filter(pk=hold.pk).update(status=Payment.Status.CAPTURED, failure_code="")
    send(
        client,
        stripe_event(
            "payment_intent.payment_failed",
            intent("pi_excess", metadata={"excess_of": "pi_hold"}, last_payment_error={"code": "expired_card"}),
        ),
    )
    hold.refresh_from_db()
    assert (hold.failure_code, hold.excess_payment_intent_id) == ("expired_card", "")


def test_a_hold_cancelled_on_stripes_side_cancels_an_authorised_payment_only(client, hold):
    send(client, stripe_event("payment_intent.canceled", intent("pi_hold")))
    hold.refresh_from_db()
    assert hold.status == "cancelled"
    Payment.objects.filter(pk=hold.pk).update(status=Payment.Status.CAPTURED)
    send(client, stripe_event("payment_intent.canceled", intent("pi_hold")))
    hold.refresh_from_db()
    assert hold.status == "captured"


@pytest.fixture
def settled(stripe_api, saved_card, make_session):
    """A session of 73.21 EUR settled on localstripe: the 50.00 hold captured whole, 23.21 charged as excess.

    The hold is captured whole on purpose: localstripe records a partial
    capture's release as a refund of the charge, which Stripe does not.
    """
    saved_card()
    session = make_session("73.21")
    holds.preauthorize(session=session)
    return settlement.settle(session=session)


def charge_of(stripe_api, payment_intent_id: str) -> dict:
    return stripe_api.v1.payment_intents.retrieve(payment_intent_id).latest_charge.to_dict()


def test_refunds_made_in_the_dashboard_are_recorded_until_all_is_back(client, stripe_api, settled):
    stripe_api.v1.refunds.create(params={"payment_intent": settled.excess_payment_intent_id, "amount": 1000})
    send(client, stripe_event("charge.refunded", charge_of(stripe_api, settled.excess_payment_intent_id)))
    [row] = Refund.objects.all()
    assert (row.payment_id, row.stripe_payment_intent_id, row.amount) == (
        settled.pk,
        settled.excess_payment_intent_id,
        Decimal("10.00"),
    )
    settled.refresh_from_db()
    assert settled.status == "captured" and refunds.refundable(settled) == Decimal("63.21")

    for intent_id in (settled.stripe_payment_intent_id, settled.excess_payment_intent_id):
        stripe_api.v1.refunds.create(
            params={
                "payment_intent": intent_id,
                "amount": 5000 if intent_id == settled.stripe_payment_intent_id else 1321,
            }
        )
        send(client, stripe_event("charge.refunded", charge_of(stripe_api, intent_id)))
    settled.refresh_from_db()
    assert settled.status == "refunded" and sorted(Refund.objects.values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("13.21"),
        Decimal("50.00"),
    ]


def test_a_replayed_charge_refunded_records_nothing_more(client, stripe_api, settled):
    stripe_api.v1.refunds.create(params={"payment_intent": settled.stripe_payment_intent_id, "amount": 700})
    event = stripe_event("charge.refunded", charge_of(stripe_api, settled.stripe_payment_intent_id))
    send(client, event)
    before = state(settled)
    stripe_api.v1.refunds.create(params={"payment_intent": settled.stripe_payment_intent_id, "amount": 300})
    assert send(client, event).json()["duplicate"] is True
    assert state(settled) == before and Refund.objects.get().amount == Decimal("7.00")


def test_a_refund_of_a_charge_we_do_not_know_is_recorded_as_unmatched(client, stripe_api, settled):
    send(client, stripe_event("charge.refunded", {"id": "ch_other", "object": "charge", "payment_intent": "pi_other"}))
    assert StripeEvent.objects.get().outcome == "unmatched" and not Refund.objects.exists()
