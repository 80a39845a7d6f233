"""Money held on the driver's card before charging starts (a PaymentIntent with capture_method=manual).

A session's cost is only known when its charge detail record is sealed, so the
card is first authorised for a fixed amount and the exact cost is captured
from that hold at the end (billing.payments.settlement).

Setting: PAYMENT_PREAUTH_AMOUNT (Decimal, in the tariff's currency; default 50.00).
"""

from decimal import Decimal

import stripe
from django.conf import settings

from billing.models import Payment, PaymentCustomer
from billing.payments import cards, client
from billing.payments.amounts import to_minor_units
from billing.payments.client import provider_call
from billing.payments.errors import NoPaymentMethod, NoTariff, PaymentDeclined, ProviderUnavailable
from billing.selectors import PaysBy, how_driver_pays, tariff_for_connector
from sessions.guards import PaymentReason, PaymentRefused, PaymentUnavailable
from sessions.models import DriverSession


def hold_before_start(session: DriverSession) -> None:
    """The start guard billing registers with sessions: hold money when the session will cost something.

    A session no tariff prices is free, and a driver billed monthly by invoice
    pays later: nothing is held. A refused card (or none) refuses the start;
    an unreachable provider makes it impossible to know.
    """
    if how_driver_pays(driver_id=session.driver_id) == PaysBy.INVOICE:
        return
    try:
        preauthorize(session=session)
    except NoTariff:
        return
    except NoPaymentMethod:
        raise PaymentRefused(PaymentReason.METHOD_REQUIRED, "Save a card before charging here.")
    except PaymentDeclined as declined:
        raise PaymentRefused(PaymentReason.DECLINED, f"The card was refused: {declined.message}")
    except ProviderUnavailable as error:
        raise PaymentUnavailable(str(error)) from error


@provider_call
def preauthorize(*, session: DriverSession) -> Payment:
    """Hold PAYMENT_PREAUTH_AMOUNT on the driver's card before charging starts.

    Returns the existing hold when there is one, so a replayed start never
    holds twice. After a decline, another call may try again (with another
    card: the idempotency key names the card, so the same card replays
    Stripe's first answer).
    """
    payment = Payment.objects.filter(driver_session=session).first()
    if payment is not None and payment.status != Payment.Status.FAILED:
        return payment
    currency = _session_currency(session)
    amount = Decimal(str(settings.PAYMENT_PREAUTH_AMOUNT))
    customer = cards.ensure_customer(driver=session.driver)
    card = cards.default_card(customer)
    try:
        intent = _create_hold(session, customer, card, amount, currency)
    except stripe.CardError as error:
        _record_hold(session, currency, amount, "", Payment.Status.FAILED, error.code or "card_declined")
        raise PaymentDeclined(error.code or "card_declined", error.user_message or str(error)) from error
    if intent.status != "requires_capture":
        code = "authentication_required" if intent.status == "requires_action" else intent.status
        _record_hold(session, currency, amount, intent.id, Payment.Status.FAILED, code)
        raise PaymentDeclined(code, "the card could not be authorised without the driver")
    return _record_hold(session, currency, amount, intent.id, Payment.Status.AUTHORISED, "")


def _session_currency(session: DriverSession) -> str:
    """The hold is in the currency of the tariff the session will be priced by."""
    tariff = tariff_for_connector(connector=session.connector, user=session.driver)
    if tariff is None:
        raise NoTariff(f"no tariff applies to session {session.pk}")
    return tariff.currency


def _create_hold(session: DriverSession, customer: PaymentCustomer, card: str, amount: Decimal, currency: str):
    return client.stripe_client().v1.payment_intents.create(
        params={
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "customer": customer.stripe_customer_id,
            "payment_method": card,
            "capture_method": "manual",
            "confirm": True,
            "off_session": True,
            "metadata": {"driver_session_id": str(session.pk)},
        },
        options={"idempotency_key": f"preauth-{session.pk}-{card}"},
    )


def _record_hold(
    session: DriverSession, currency: str, amount: Decimal, intent_id: str, status: str, failure_code: str
) -> Payment:
    payment, _ = Payment.objects.update_or_create(
        driver_session=session,
        defaults={
            "currency": currency,
            "amount_authorised": amount,
            "stripe_payment_intent_id": intent_id,
            "status": status,
            "failure_code": failure_code,
        },
    )
    return payment
