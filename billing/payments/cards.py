"""The driver's Stripe customer and saved cards: save one (SetupIntent), list, remove, pick the one to charge."""

from dataclasses import dataclass

import stripe
from django.db import IntegrityError
from django.db import transaction as db_transaction

from billing.models import PaymentCustomer
from billing.payments import client
from billing.payments.client import provider_call
from billing.payments.errors import NoPaymentMethod, NotYourPaymentMethod


@dataclass(frozen=True)
class SavedCard:
    """A saved card as the driver's app shows it; no Stripe object leaves this package."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@provider_call
def ensure_customer(*, driver) -> PaymentCustomer:
    """The driver's Stripe customer, created on first need and only once.

    The idempotency key makes two concurrent first calls get the same Stripe
    customer; the unique driver column keeps one row.
    """
    existing = PaymentCustomer.objects.filter(driver=driver).first()
    if existing is not None:
        return existing
    customer = client.stripe_client().v1.customers.create(
        params={"email": driver.email, "metadata": {"driver_id": str(driver.pk)}},
        options={"idempotency_key": f"customer-{driver.pk}"},
    )
    try:
        with db_transaction.atomic():
            return PaymentCustomer.objects.create(driver=driver, stripe_customer_id=customer.id)
    except IntegrityError:
        return PaymentCustomer.objects.get(driver=driver)


@provider_call
def create_setup_intent(*, driver) -> str:
    """A SetupIntent's client secret: the app confirms it with the card, so card data never reaches us.

    usage=off_session because we charge the card later, when the driver is gone.
    """
    customer = ensure_customer(driver=driver)
    intent = client.stripe_client().v1.setup_intents.create(
        params={"customer": customer.stripe_customer_id, "usage": "off_session", "payment_method_types": ["card"]}
    )
    return intent.client_secret


@provider_call
def list_payment_methods(*, driver) -> list[SavedCard]:
    """The driver's saved cards; none (and no Stripe call) for a driver who never saved one."""
    customer = PaymentCustomer.objects.filter(driver=driver).first()
    if customer is None:
        return []
    return [_saved_card(method) for method in _cards(customer)]


@provider_call
def detach_payment_method(*, driver, payment_method_id: str) -> None:
    """Remove a saved card, after checking it is the driver's: ids come from the app, so they are untrusted."""
    customer = PaymentCustomer.objects.filter(driver=driver).first()
    if customer is None or _owner_of(payment_method_id) != customer.stripe_customer_id:
        raise NotYourPaymentMethod(f"payment method {payment_method_id} is not one of this driver's cards")
    client.stripe_client().v1.payment_methods.detach(payment_method_id)


def default_card(customer: PaymentCustomer) -> str:
    """The customer's default card if one is set (as the app sets it), else the first saved card."""
    stripe_customer = client.stripe_client().v1.customers.retrieve(customer.stripe_customer_id)
    invoice_settings = stripe_customer.invoice_settings
    default = invoice_settings.default_payment_method if invoice_settings else None
    if default:
        return default if isinstance(default, str) else default.id
    cards = _cards(customer)
    if not cards:
        raise NoPaymentMethod(f"driver {customer.driver_id} has no saved card")
    return cards[0].id


def _cards(customer: PaymentCustomer) -> list:
    return (
        client.stripe_client()
        .v1.payment_methods.list(params={"customer": customer.stripe_customer_id, "type": "card", "limit": 100})
        .data
    )


def _saved_card(method) -> SavedCard:
    card = method.card
    return SavedCard(id=method.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year)


def _owner_of(payment_method_id: str) -> str | None:
    """The customer a payment method belongs to; None for an unknown id, which is nobody's card here."""
    try:
        return client.stripe_client().v1.payment_methods.retrieve(payment_method_id).customer
    except stripe.InvalidRequestError:
        return None
