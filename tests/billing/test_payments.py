"""Card payments against localstripe: saved cards, the hold at the start, one exact capture at the end."""

from decimal import Decimal

import pytest
import stripe

from accounts.services import register_driver
from billing.models import Payment, PaymentCustomer
from billing.payments import cards, holds, settlement
from billing.payments import client as payments_client
from billing.payments.amounts import to_minor_units
from billing.payments.errors import NoPaymentMethod, NotYourPaymentMethod, PaymentDeclined
from sessions.models import DriverSession
from tests.billing.localstripe_server import amount_received, localstripe, save_card, stripe_api  # noqa: F401 (fixtures)
from tests.billing.stored_sessions import stored_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def driver(db):
    return register_driver(email="dana@example.com", password="a-fine-password-42")


@pytest.fixture
def other_driver(db):
    return register_driver(email="sam@example.com", password="another-password-42")


@pytest.fixture
def saved_card(stripe_api, driver):
    """Save a card for the driver as the app would, through a SetupIntent."""

    def save(payment_method: str = "pm_card_visa", owner=None) -> str:
        owner = owner or driver
        secret = cards.create_setup_intent(driver=owner)
        return save_card(stripe_api, secret, owner.payment_customer.stripe_customer_id, payment_method)

    return save


@pytest.fixture
def make_session(connectors, location, make_tariff, assign, driver):
    """A finished driver session on a connector whose tariff is one flat fee of `cost` EUR (no VAT)."""

    def make(cost: str) -> DriverSession:
        assign(make_tariff("FLAT", ("FLAT", cost, 1, None)), location=location)
        transaction = stored_transaction(connectors[0], owner=driver, minutes=30, meter_stop_wh=1_010_000)
        return DriverSession.objects.create(
            driver=driver,
            id_tag=transaction.id_tag,
            station=transaction.station,
            connector=transaction.connector,
            transaction=transaction,
            state=DriverSession.State.COMPLETED,
        )

    return make


def intents(client: stripe.StripeClient) -> list:
    return client.v1.payment_intents.list(params={"limit": 100}).data


def test_minor_units_round_half_up_and_know_zero_decimal_currencies():
    assert to_minor_units(Decimal("12.3450"), "EUR") == 1235
    assert to_minor_units(Decimal("12.3449"), "eur") == 1234
    assert to_minor_units(Decimal("0.0049"), "EUR") == 0
    assert to_minor_units(Decimal("1234.5"), "JPY") == 1235


def test_the_customer_is_created_once(stripe_api, driver):
    first = cards.ensure_customer(driver=driver)
    second = cards.ensure_customer(driver=driver)
    assert first.pk == second.pk and PaymentCustomer.objects.count() == 1
    customers = stripe_api.v1.customers.list().data
    assert [c.id for c in customers] == [first.stripe_customer_id]
    assert customers[0].metadata["driver_id"] == str(driver.pk)


def test_a_card_saved_through_a_setup_intent_is_listed(saved_card, driver):
    card_id = saved_card()
    listed = cards.list_payment_methods(driver=driver)
    assert [(c.id, c.last4, c.exp_year) for c in listed] == [(card_id, "4242", 2030)]


def test_a_driver_without_a_customer_has_no_cards_and_stripe_is_not_asked(stripe_api, driver):
    assert cards.list_payment_methods(driver=driver) == []
    assert stripe_api.v1.customers.list().data == []


def test_a_driver_detaches_their_own_card(saved_card, driver):
    card_id = saved_card()
    cards.detach_payment_method(driver=driver, payment_method_id=card_id)
    assert cards.list_payment_methods(driver=driver) == []


def test_another_drivers_card_or_an_unknown_one_cannot_be_detached(saved_card, driver, other_driver):
    theirs = saved_card(owner=other_driver)
    cards.ensure_customer(driver=driver)
    for payment_method_id in (theirs, "pm_does_not_exist"):
        with pytest.raises(NotYourPaymentMethod):
            cards.detach_payment_method(driver=driver, payment_method_id=payment_method_id)
    assert [c.id for c in cards.list_payment_methods(driver=other_driver)] == [theirs]


def test_preauthorize_holds_the_configured_amount_once(stripe_api, saved_card, make_session, settings):
    settings.PAYMENT_PREAUTH_AMOUNT = Decimal("40.00")
    card_id = saved_card()
    session = make_session("10.00")
    payment = holds.preauthorize(session=session)
    assert holds.preauthorize(session=session).pk == payment.pk
    assert (payment.status, payment.amount_authorised, payment.currency) == ("authorised", Decimal("40.00"), "EUR")
    [intent] = intents(stripe_api)
    assert intent.id == payment.stripe_payment_intent_id
    assert (intent.status, intent.amount, intent.currency, intent.capture_method) == (
        "requires_capture",
        4000,
        "eur",
        "manual",
    )
    assert intent.payment_method == card_id


def test_a_card_declined_at_the_hold_raises_payment_declined(stripe_api, saved_card, make_session):
    saved_card("pm_card_chargeCustomerFail")  # 4000000000000341: saves fine, every charge is declined
    session = make_session("10.00")
    with pytest.raises(PaymentDeclined) as declined:
        holds.preauthorize(session=session)
    assert declined.value.code == "card_declined" and "declined" in declined.value.message
    payment = Payment.objects.get(driver_session=session)
    assert (payment.status, payment.failure_code) == ("failed", "card_declined")


def test_no_saved_card_no_hold(stripe_api, make_session):
    with pytest.raises(NoPaymentMethod):
        holds.preauthorize(session=make_session("10.00"))
    assert intents(stripe_api) == [] and not Payment.objects.exists()


def test_settle_captures_the_exact_cost(stripe_api, saved_card, make_session):
    saved_card()
    session = make_session("12.34")
    payment = holds.preauthorize(session=session)
    payment = settlement.settle(session=session)
    assert (payment.status, payment.amount_captured, payment.excess_payment_intent_id) == (
        "captured",
        Decimal("12.34"),
        "",
    )
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 1234
    assert stripe_api.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == "succeeded"


def test_a_free_session_releases_the_hold(stripe_api, saved_card, make_session):
    saved_card()
    session = make_session("0.00")
    holds.preauthorize(session=session)
    payment = settlement.settle(session=session)
    assert (payment.status, payment.amount_captured) == ("cancelled", Decimal("0"))
    intent = stripe_api.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.status == "canceled" and amount_received(stripe_api, intent.id) == 0


def test_a_cost_above_the_hold_is_charged_by_a_second_intent(stripe_api, saved_card, make_session):
    card_id = saved_card()
    session = make_session("73.21")
    holds.preauthorize(session=session)
    payment = settlement.settle(session=session)
    assert (payment.status, payment.amount_captured, payment.amount_excess) == (
        "captured",
        Decimal("50.00"),
        Decimal("23.21"),
    )
    assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 5000
    excess = stripe_api.v1.payment_intents.retrieve(payment.excess_payment_intent_id)
    assert (excess.status, excess.amount, excess.payment_method) == ("succeeded", 2321, card_id)
    assert amount_received(stripe_api, excess.id) == 2321


@pytest.mark.parametrize("cost", ["12.34", "73.21", "0.00"])
def test_settling_again_changes_nothing(stripe_api, saved_card, make_session, cost):
    saved_card()
    session = make_session(cost)
    holds.preauthorize(session=session)
    first = settlement.settle(session=session)
    before = [(i.id, i.status, amount_received(stripe_api, i.id)) for i in intents(stripe_api)]
    second = settlement.settle(session=session)
    assert [(i.id, i.status, amount_received(stripe_api, i.id)) for i in intents(stripe_api)] == before
    assert (second.status, second.amount_captured, second.amount_excess, second.updated_at) == (
        first.status,
        first.amount_captured,
        first.amount_excess,
        first.updated_at,
    )


def test_every_write_carries_an_idempotency_key_named_after_our_records(
    stripe_api, localstripe, saved_card, make_session, monkeypatch
):
    card_id = saved_card()
    session = make_session("73.21")
    recorder = KeyRecorder()
    client = stripe.StripeClient("sk_test_voltstack", base_addresses={"api": localstripe.url}, http_client=recorder)
    monkeypatch.setattr(payments_client, "stripe_client", lambda: client)
    payment = holds.preauthorize(session=session)
    settlement.settle(session=session)
    assert recorder.keys == [f"preauth-{session.pk}-{card_id}", f"capture-{payment.pk}", f"excess-{payment.pk}"]


class KeyRecorder(stripe.RequestsClient):
    """An HTTP client that notes the Idempotency-Key of each POST before sending it."""

    def __init__(self):
        super().__init__()
        self.keys: list[str] = []

    def request(self, method, url, headers, post_data=None):
        if method == "post":
            self.keys.append(headers["Idempotency-Key"])
        return super().request(method, url, headers, post_data)
