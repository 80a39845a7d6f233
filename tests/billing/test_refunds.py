"""Refunds against localstripe: part, then the rest, never more than was charged; and from the admin."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pytest
import stripe
from django.urls import reverse

from billing.models import Payment, Refund, StripeEvent
from billing.payments import client as payments_client
from billing.payments import holds, refunds, settlement
from billing.payments.errors import NothingToRefund
from tests.billing.localstripe_server import amount_received, localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_admin import operator_client  # noqa: F401 (fixture)
from tests.billing.test_payments import driver, make_session, saved_card  # noqa: F401 (fixtures)
from tests.billing.test_webhooks import send, stripe_event

pytestmark = pytest.mark.django_db


class RefundRecorder(stripe.RequestsClient):
    """Notes each refund request's idempotency key and reason, then drops `reason`,
    which Stripe accepts but localstripe 1.15.10 refuses ("Unexpected reason")."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method, url, headers, post_data=None):
        if method == "post" and url.endswith("/v1/refunds"):
            fields = parse_qsl(post_data)
            self.sent.append((headers["Idempotency-Key"], dict(fields)["reason"]))
            post_data = urlencode([(name, value) for name, value in fields if name != "reason"])
        return super().request(method, url, headers, post_data)


@pytest.fixture
def refunds_sent(stripe_api, localstripe, monkeypatch) -> list[tuple[str, str]]:
    recorder = RefundRecorder()
    client = stripe.StripeClient("sk_test_voltstack", base_addresses={"api": localstripe.url}, http_client=recorder)
    monkeypatch.setattr(payments_client, "stripe_client", lambda: client)
    return recorder.sent


@pytest.fixture
def settle(stripe_api, saved_card, make_session):
    """Settle a session of `cost` EUR on localstripe (the hold is 50.00) and return its payment."""
    saved_card()

    def run(cost: str) -> Payment:
        session = make_session(cost)
        holds.preauthorize(session=session)
        return settlement.settle(session=session)

    return run


def test_refund_part_then_the_rest_then_nothing_more(stripe_api, refunds_sent, settle):
    payment = settle("12.34")
    [first] = refunds.refund(payment=payment, amount=Decimal("5.00"))
    assert (first.amount, first.stripe_payment_intent_id, first.reason, payment.status) == (
        Decimal("5.00"),
        payment.stripe_payment_intent_id,
        "requested_by_customer",
        "captured",
    )
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 734

    [rest] = refunds.refund(payment=payment)
    assert (rest.amount, payment.status, refunds.refundable(payment)) == (Decimal("7.34"), "refunded", Decimal("0"))
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 0

    with pytest.raises(NothingToRefund, match="0.00 EUR left to refund, not 1.00"):
        refunds.refund(payment=payment, amount=Decimal("1.00"))
    assert refunds_sent == [
        (f"refund-{payment.pk}-0", "requested_by_customer"),
        (f"refund-{payment.pk}-1", "requested_by_customer"),
    ]
    assert Refund.objects.count() == 2


def test_a_refund_takes_from_the_hold_first_then_the_excess(stripe_api, refunds_sent, settle):
    payment = settle("73.21")
    rows = refunds.refund(payment=payment, amount=Decimal("60.00"), reason="duplicate")
    assert [(r.stripe_payment_intent_id, r.amount, r.reason) for r in rows] == [
        (payment.stripe_payment_intent_id, Decimal("50.00"), "duplicate"),
        (payment.excess_payment_intent_id, Decimal("10.00"), "duplicate"),
    ]
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 0
    assert amount_received(stripe_api, payment.excess_payment_intent_id) == 1321
    assert [key for key, _ in refunds_sent] == [f"refund-{payment.pk}-0", f"refund-{payment.pk}-1"]
    assert payment.status == "captured" and refunds.refundable(payment) == Decimal("13.21")


@pytest.mark.parametrize("amount", ["12.35", "0.00", "-1.00"])
def test_more_than_was_charged_or_nothing_is_refused(refunds_sent, settle, amount):
    payment = settle("12.34")
    with pytest.raises(NothingToRefund, match="12.34 EUR left to refund"):
        refunds.refund(payment=payment, amount=Decimal(amount))
    assert refunds_sent == [] and not Refund.objects.exists()


def test_a_payment_that_took_nothing_has_nothing_to_refund(refunds_sent, settle):
    payment = settle("0.00")
    with pytest.raises(NothingToRefund):
        refunds.refund(payment=payment)
    assert refunds_sent == [] and payment.status == "cancelled"


@pytest.mark.urls("tests.billing.test_webhooks")
def test_stripes_charge_refunded_after_our_refund_records_it_once(client, stripe_api, refunds_sent, settle):
    payment = settle("73.21")
    refunds.refund(payment=payment, amount=Decimal("73.21"))
    charge = stripe_api.v1.payment_intents.retrieve(payment.excess_payment_intent_id).latest_charge.to_dict()
    assert send(client, stripe_event("charge.refunded", charge)).status_code == 200
    payment.refresh_from_db()
    assert (
        payment.status == "refunded" and Refund.objects.count() == 2 and StripeEvent.objects.get().outcome == "handled"
    )


def test_the_admin_action_asks_for_the_amount_then_refunds(operator_client, stripe_api, refunds_sent, settle):
    payment = settle("12.34")
    changelist = reverse("admin:billing_payment_changelist")
    page = operator_client.post(changelist, {"action": "refund", "_selected_action": [payment.pk]})
    assert page.status_code == 200 and 'value="12.34"' in page.content.decode() and not Refund.objects.exists()

    confirm = {
        "action": "refund",
        "_selected_action": [payment.pk],
        "confirm": "Refund",
        f"amount_{payment.pk}": "2.00",
    }
    response = operator_client.post(changelist, confirm, follow=True)
    assert "2.00 EUR refunded" in response.content.decode()
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("2.00")]

    page = operator_client.post(changelist, {"action": "refund", "_selected_action": [payment.pk]})
    assert 'value="10.34"' in page.content.decode()
    operator_client.post(changelist, {**confirm, f"amount_{payment.pk}": "10.34"}, follow=True)
    payment.refresh_from_db()
    assert payment.status == "refunded" and amount_received(stripe_api, payment.stripe_payment_intent_id) == 0
    assert operator_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).status_code == 200


def test_the_admin_refuses_an_amount_above_what_is_left(operator_client, refunds_sent, settle):
    payment = settle("12.34")
    changelist = reverse("admin:billing_payment_changelist")
    confirm = {
        "action": "refund",
        "_selected_action": [payment.pk],
        "confirm": "Refund",
        f"amount_{payment.pk}": "20.00",
    }
    response = operator_client.post(changelist, confirm, follow=True)
    assert "12.34 EUR left to refund, not 20.00" in response.content.decode()
    assert refunds_sent == [] and not Refund.objects.exists()
