"""Sessions that had no card hold (started with an RFID card at the charger, or reported after the app's
start timed out) are charged their exact cost once when they end."""

from decimal import Decimal

import pytest

from billing.models import Payment
from billing.payments import errors, settlement
from tests.billing.localstripe_server import amount_received, localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_payments import driver, intents, make_session, saved_card  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_session_without_a_hold_is_charged_its_cost_once(stripe_api, saved_card, make_session):
    saved_card()
    session = make_session("7.65")
    payment = settlement.settle(session=session)
    assert (payment.status, payment.amount_authorised, payment.amount_captured) == ("captured", 0, Decimal("7.65"))
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 765
    assert settlement.settle(session=session).pk == payment.pk  # settled already: nothing new
    assert [i.id for i in intents(stripe_api)] == [payment.stripe_payment_intent_id]


def test_without_a_card_the_debt_is_kept_for_the_operator(stripe_api, make_session):
    session = make_session("7.65")
    with pytest.raises(errors.NoPaymentMethod):
        settlement.settle(session=session)
    payment = Payment.objects.get(driver_session=session)
    assert (payment.status, payment.failure_code, payment.amount_captured) == ("failed", "no_payment_method", 0)
    assert intents(stripe_api) == []


def test_a_free_session_without_a_hold_charges_nothing(stripe_api, saved_card, make_session):
    saved_card()
    assert settlement.settle(session=make_session("0.00")) is None
    assert intents(stripe_api) == [] and not Payment.objects.exists()
