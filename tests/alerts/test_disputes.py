"""Stripe's charge.dispute.* webhooks mark the session's payment disputed, and the disputed_payment rule alerts.

Events are signed with the SDK's helper and posted to the real endpoint, as tests/billing/test_webhooks.py does.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alerts.services import evaluate
from billing.models import Payment, StripeEvent
from sessions.models import DriverSession
from tests.alerts.conftest import active
from tests.billing.test_webhooks import post_signed, stripe_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(remote_start):
    return Payment.objects.create(
        driver_session=remote_start(DriverSession.State.COMPLETED),
        stripe_payment_intent_id="pi_disputed",
        currency="EUR",
        amount_authorised=Decimal("50.00"),
        amount_captured=Decimal("12.40"),
        status=Payment.Status.CAPTURED,
    )


def dispute(status: str, payment_intent: str = "pi_disputed") -> dict:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 1240,
        "currency": "eur",
        "charge": "ch_1",
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
        "created": 1_700_000_000,
    }


def post(client, type_: str, obj: dict) -> StripeEvent:
    event = stripe_event(type_, obj)
    assert post_signed(client, json.dumps(event)).status_code == 200
    return StripeEvent.objects.get(stripe_event_id=event["id"])


def test_a_dispute_marks_the_payment_and_opens_an_alert_until_it_is_closed(client, captured):
    record = post(client, "charge.dispute.created", dispute("needs_response"))
    assert record.outcome == "handled"
    captured.refresh_from_db()
    assert (captured.dispute_id, captured.dispute_status, captured.dispute_reason) == (
        "dp_1",
        "needs_response",
        "fraudulent",
    )
    assert captured.disputed_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert captured.status == "captured" and captured.amount_captured == Decimal("12.40")

    evaluate()
    [alert] = active("disputed_payment")
    assert alert.title == f"CP-ALERT: payment of session {captured.driver_session_id} disputed (fraudulent)"
    assert alert.details["dispute_id"] == "dp_1"

    post(client, "charge.dispute.closed", dispute("won"))
    captured.refresh_from_db()
    assert captured.dispute_status == "won"
    evaluate()
    alert.refresh_from_db()
    assert (alert.state, alert.auto_resolved) == ("resolved", True)


def test_a_dispute_of_a_payment_we_do_not_know_is_unmatched(client, captured):
    record = post(client, "charge.dispute.created", dispute("needs_response", payment_intent="pi_someone_else"))
    assert record.outcome == "unmatched"
    captured.refresh_from_db()
    evaluate()
    assert captured.dispute_id == "" and active("disputed_payment") == []
