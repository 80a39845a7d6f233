"""Card payments through Stripe: save a card, hold money at the start, capture the cost once at the end.

A session's cost is only known when its charge detail record is sealed, so
the driver's card is first authorised for a fixed amount (a PaymentIntent
with capture_method=manual) and the exact cost is captured from that hold
when the session ends; anything above the hold is charged by a second
PaymentIntent.

Double billing is prevented twice over: every Stripe write carries an
idempotency key derived from our own ids (a retried request gets the first
answer back), and our Payment row records each step, so `settle` run again
finds nothing left to do.

Setting: PAYMENT_PREAUTH_AMOUNT (Decimal, in the tariff's currency; default 50.00).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import stripe
from django.conf import settings
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from billing.models import ChargeDetailRecord, Payment, PaymentCustomer, Refund
from billing.selectors import tariff_for_connector
from billing.services import record_charge_detail_record
from billing.stripe_client import stripe_client
from sessions.models import DriverSession

# Stripe counts these currencies in whole units; every other one we price in has cents.
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)


class PaymentError(Exception):
    """Base of the errors a caller (API view, task) turns into a clear answer for the driver."""


class NoPaymentMethod(PaymentError):
    """The driver has no saved card, so nothing can be held for the session."""


class NotYourPaymentMethod(PaymentError):
    """The card is not among the driver's own; we never touch another customer's card."""


class NoTariff(PaymentError):
    """No tariff applies to the session, so there is no currency to hold money in."""


class CurrencyMismatch(PaymentError):
    """The CDR is priced in another currency than the hold; capturing would take a wrong amount."""


class PaymentDeclined(PaymentError):
    """The card issuer refused the payment; `code` is Stripe's (e.g. card_declined)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SavedCard:
    """A saved card as the driver's app shows it; no Stripe object leaves this module."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Money as Stripe counts it (cents, or whole yen): the only place Decimal becomes an integer.

    CDR totals keep four decimals; half a cent and up rounds up, as on an invoice.
    """
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    whole = amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    return int(whole.scaleb(exponent))


def ensure_customer(*, driver) -> PaymentCustomer:
    """The driver's Stripe customer, created on first need and only once.

    The idempotency key makes two concurrent first calls get the same Stripe
    customer; the unique driver column keeps one row.
    """
    existing = PaymentCustomer.objects.filter(driver=driver).first()
    if existing is not None:
        return existing
    customer = stripe_client().v1.customers.create(
        params={"email": driver.email, "metadata": {"driver_id": str(driver.pk)}},
        options={"idempotency_key": f"customer-{driver.pk}"},
    )
    try:
        with db_transaction.atomic():
            return PaymentCustomer.objects.create(driver=driver, stripe_customer_id=customer.id)
    except IntegrityError:
        return PaymentCustomer.objects.get(driver=driver)


def create_setup_intent(*, driver) -> str:
    """A SetupIntent's client secret: the app confirms it with the card, so card data never reaches us.

    usage=off_session because we charge the card later, when the driver is gone.
    """
    customer = ensure_customer(driver=driver)
    intent = stripe_client().v1.setup_intents.create(
        params={"customer": customer.stripe_customer_id, "usage": "off_session", "payment_method_types": ["card"]}
    )
    return intent.client_secret


def list_payment_methods(*, driver) -> list[SavedCard]:
    """The driver's saved cards; none (and no Stripe call) for a driver who never saved one."""
    customer = PaymentCustomer.objects.filter(driver=driver).first()
    if customer is None:
        return []
    return [_saved_card(method) for method in _cards(customer)]


def detach_payment_method(*, driver, payment_method_id: str) -> None:
    """Remove a saved card, after checking it is the driver's: ids come from the app, so they are untrusted."""
    customer = PaymentCustomer.objects.filter(driver=driver).first()
    if customer is None or _owner_of(payment_method_id) != customer.stripe_customer_id:
        raise NotYourPaymentMethod(f"payment method {payment_method_id} is not one of this driver's cards")
    stripe_client().v1.payment_methods.detach(payment_method_id)


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
    customer = ensure_customer(driver=session.driver)
    card = _default_card(customer)
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


def settle(*, session: DriverSession) -> Payment | None:
    """Take exactly the session's cost, once: capture it from the hold, cancel the hold when it is zero,
    and charge what exceeds the hold by a second PaymentIntent. A session that had no hold is charged
    its cost off-session with the saved card; None when it costs nothing.

    Idempotent: each step is recorded on the Payment as it succeeds, and the
    row is locked meanwhile, so a second call (or a concurrent one) finds
    nothing left to do. A declined excess charge is kept (the capture stays
    recorded) and retried by the next call.
    """
    with db_transaction.atomic():
        payment = Payment.objects.select_for_update().filter(driver_session=session).first()
        declined = None if payment is None else _settle_locked(session, payment)
    if payment is None:
        return _charge_without_hold(session)
    if declined is not None:
        raise declined
    return payment


def _charge_without_hold(session: DriverSession) -> Payment | None:
    """Charge a finished session that had no hold (started with a card at the charger, or reported by
    the charger after its app start had timed out) its exact cost, once (the key names the session)."""
    record = record_charge_detail_record(transaction_id=session.transaction_id) if session.transaction_id else None
    if record is None or record.total_cost_incl_vat <= 0:
        return None
    cost, currency = record.total_cost_incl_vat, record.currency
    customer = ensure_customer(driver=session.driver)
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": to_minor_units(cost, currency),
                "currency": currency.lower(),
                "customer": customer.stripe_customer_id,
                "payment_method": _default_card(customer),
                "confirm": True,
                "off_session": True,
                "metadata": {"driver_session_id": str(session.pk)},
            },
            options={"idempotency_key": f"charge-{session.pk}"},
        )
    except NoPaymentMethod:
        _record_charge(session, currency, "", Payment.Status.FAILED, Decimal(0), "no_payment_method")
        raise
    except stripe.CardError as error:
        _record_charge(session, currency, "", Payment.Status.FAILED, Decimal(0), error.code or "card_declined")
        raise PaymentDeclined(error.code or "card_declined", error.user_message or str(error)) from error
    charged = intent.status == "succeeded"
    return _record_charge(
        session,
        currency,
        intent.id,
        Payment.Status.CAPTURED if charged else Payment.Status.FAILED,
        cost if charged else Decimal(0),
        "" if charged else intent.status,
    )


def _record_charge(
    session: DriverSession, currency: str, intent_id: str, status: str, charged: Decimal, failure_code: str
) -> Payment:
    """Kept once; a concurrent settle of the same session sent the same idempotency key and keeps its row."""
    try:
        with db_transaction.atomic():
            return Payment.objects.create(
                driver_session=session,
                currency=currency,
                amount_authorised=Decimal(0),
                amount_captured=charged,
                stripe_payment_intent_id=intent_id,
                status=status,
                failure_code=failure_code,
            )
    except IntegrityError:
        return Payment.objects.get(driver_session=session)


def _settle_locked(session: DriverSession, payment: Payment) -> PaymentDeclined | None:
    """The settle steps still to do; a decline is returned, not raised, so the steps done so far commit."""
    if payment.status not in (Payment.Status.AUTHORISED, Payment.Status.CAPTURED):
        return None
    cost = _session_cost(session, payment)
    if payment.status == Payment.Status.AUTHORISED:
        _capture_or_cancel(payment, cost)
    if payment.status == Payment.Status.CAPTURED:
        return _charge_excess(payment, cost)
    return None


def _cards(customer: PaymentCustomer) -> list:
    return (
        stripe_client()
        .v1.payment_methods.list(params={"customer": customer.stripe_customer_id, "type": "card", "limit": 100})
        .data
    )


def _saved_card(method) -> SavedCard:
    card = method.card
    return SavedCard(id=method.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year)


def _owner_of(payment_method_id: str) -> str | None:
    """The customer a payment method belongs to; None for an unknown id, which is nobody's card here."""
    try:
        return stripe_client().v1.payment_methods.retrieve(payment_method_id).customer
    except stripe.InvalidRequestError:
        return None


def _default_card(customer: PaymentCustomer) -> str:
    """The customer's default card if one is set (as the app sets it), else the first saved card."""
    stripe_customer = stripe_client().v1.customers.retrieve(customer.stripe_customer_id)
    invoice_settings = stripe_customer.invoice_settings
    default = invoice_settings.default_payment_method if invoice_settings else None
    if default:
        return default if isinstance(default, str) else default.id
    cards = _cards(customer)
    if not cards:
        raise NoPaymentMethod(f"driver {customer.driver_id} has no saved card")
    return cards[0].id


def _session_currency(session: DriverSession) -> str:
    """The hold is in the currency of the tariff the session will be priced by."""
    tariff = tariff_for_connector(connector=session.connector, user=session.driver)
    if tariff is None:
        raise NoTariff(f"no tariff applies to session {session.pk}")
    return tariff.currency


def _create_hold(session: DriverSession, customer: PaymentCustomer, card: str, amount: Decimal, currency: str):
    return stripe_client().v1.payment_intents.create(
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


def _session_cost(session: DriverSession, payment: Payment) -> Decimal:
    """What the driver owes: the sealed CDR's total incl. VAT; zero for a session that never charged or has no tariff.

    `record_charge_detail_record` is idempotent, so this seals the CDR if the
    stop handler has not yet, and otherwise reads the stored one.
    """
    if session.transaction_id is None:
        return Decimal(0)
    record: ChargeDetailRecord | None = record_charge_detail_record(transaction_id=session.transaction_id)
    if record is None:
        return Decimal(0)
    if record.currency != payment.currency:
        raise CurrencyMismatch(f"CDR in {record.currency}, hold in {payment.currency}")
    return record.total_cost_incl_vat


def _capture_or_cancel(payment: Payment, cost: Decimal) -> None:
    """Release the hold for a free session; otherwise capture the cost, at most what was held."""
    intents = stripe_client().v1.payment_intents
    if to_minor_units(cost, payment.currency) == 0:
        intents.cancel(payment.stripe_payment_intent_id, options={"idempotency_key": f"cancel-{payment.pk}"})
        payment.status = Payment.Status.CANCELLED
    else:
        captured = min(cost, payment.amount_authorised)
        intents.capture(
            payment.stripe_payment_intent_id,
            params={"amount_to_capture": to_minor_units(captured, payment.currency)},
            options={"idempotency_key": f"capture-{payment.pk}"},
        )
        payment.status, payment.amount_captured = Payment.Status.CAPTURED, captured
    payment.save(update_fields=["status", "amount_captured", "updated_at"])


def _charge_excess(payment: Payment, cost: Decimal) -> PaymentDeclined | None:
    """Charge the cost above the hold to the same card, off session; nothing when the hold covered it."""
    excess = cost - payment.amount_captured - payment.amount_excess
    if to_minor_units(excess, payment.currency) <= 0:
        return None
    intent = _retrieve_hold(payment)
    try:
        charge = stripe_client().v1.payment_intents.create(
            params={
                "amount": to_minor_units(excess, payment.currency),
                "currency": payment.currency.lower(),
                "customer": intent.customer,
                "payment_method": intent.payment_method,
                "confirm": True,
                "off_session": True,
                "metadata": {"driver_session_id": str(payment.driver_session_id), "excess_of": intent.id},
            },
            options={"idempotency_key": f"excess-{payment.pk}"},
        )
    except stripe.CardError as error:
        payment.failure_code = error.code or "card_declined"
        payment.save(update_fields=["failure_code", "updated_at"])
        return PaymentDeclined(payment.failure_code, error.user_message or str(error))
    payment.excess_payment_intent_id, payment.amount_excess, payment.failure_code = charge.id, excess, ""
    payment.save(update_fields=["excess_payment_intent_id", "amount_excess", "failure_code", "updated_at"])
    return None


def _retrieve_hold(payment: Payment):
    return stripe_client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)


# --- Refunds ----------------------------------------------------------------------


class NothingToRefund(PaymentError):
    """The amount asked is not positive, or more than was charged minus what was refunded already."""


class RefundFailed(PaymentError):
    """Stripe refused a refund; parts refunded before it stay recorded."""


def refund(*, payment: Payment, amount: Decimal | None = None, reason: str = "requested_by_customer") -> list[Refund]:
    """Give captured money back to the driver's card: from the hold's capture first, then from the excess charge.

    `amount` defaults to all that is left. The Payment row is locked, so two
    operators cannot both refund the same money. Each Stripe refund is
    recorded as it succeeds and carries the key refund-<payment>-<n> (n: the
    refunds recorded so far), so a request retried after a crash gets
    Stripe's first refund back instead of a second one.
    """
    with db_transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        refunds, failure = _refund_parts(locked, _parts_to_refund(locked, amount), reason)
        sync_refund_status(locked)
    payment.refresh_from_db()
    if failure is not None:
        raise failure
    return refunds


def refundable(payment: Payment) -> Decimal:
    """What can still be refunded: charged (hold capture plus excess) minus refunded."""
    return from_minor_units(sum(left for _, left in _left_by_intent(payment)), payment.currency)


def from_minor_units(amount: int, currency: str) -> Decimal:
    """Stripe's integer amount (cents, or whole yen) as Decimal money, the inverse of `to_minor_units`."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(amount).scaleb(-exponent)


def record_refund(*, payment: Payment, payment_intent_id: str, refund_id: str, amount: int, reason: str) -> Refund:
    """One row per Stripe refund: both `refund` and the charge.refunded webhook see ours, so the first to come records it."""
    row, _ = Refund.objects.get_or_create(
        stripe_refund_id=refund_id,
        defaults={
            "payment": payment,
            "stripe_payment_intent_id": payment_intent_id,
            "amount": from_minor_units(amount, payment.currency),
            "reason": reason,
        },
    )
    return row


def sync_refund_status(payment: Payment) -> None:
    """A captured payment whose every charged cent is back becomes refunded; a partial refund leaves it captured."""
    if payment.status == Payment.Status.CAPTURED and not any(left for _, left in _left_by_intent(payment)):
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.CAPTURED).update(
            status=Payment.Status.REFUNDED, updated_at=timezone.now()
        )


def _left_by_intent(payment: Payment) -> list[tuple[str, int]]:
    """Minor units still refundable per PaymentIntent, the hold first: refunds take from it first."""
    charged = [
        (payment.stripe_payment_intent_id, payment.amount_captured),
        (payment.excess_payment_intent_id, payment.amount_excess),
    ]
    return [
        (intent_id, to_minor_units(amount, payment.currency) - _refunded_minor(payment, intent_id))
        for intent_id, amount in charged
        if intent_id
    ]


def _refunded_minor(payment: Payment, payment_intent_id: str) -> int:
    rows = payment.refunds.filter(stripe_payment_intent_id=payment_intent_id)
    return sum(to_minor_units(row.amount, payment.currency) for row in rows)


def _parts_to_refund(payment: Payment, amount: Decimal | None) -> list[tuple[str, int]]:
    """(PaymentIntent, minor units) to refund, taking from the hold before the excess."""
    left = _left_by_intent(payment)
    available = sum(part for _, part in left)
    asked = available if amount is None else to_minor_units(amount, payment.currency)
    if asked <= 0 or asked > available:
        left_text = f"payment {payment.pk} has {from_minor_units(available, payment.currency)} {payment.currency} left to refund"
        raise NothingToRefund(left_text if amount is None else f"{left_text}, not {amount}")
    parts = []
    for intent_id, part in left:
        take = min(asked, part)
        if take > 0:
            parts.append((intent_id, take))
            asked -= take
    return parts


def _refund_parts(
    payment: Payment, parts: list[tuple[str, int]], reason: str
) -> tuple[list[Refund], RefundFailed | None]:
    """Refund each part on Stripe and record it at once; a refusal is returned, not raised, so earlier parts commit."""
    refunds = []
    for intent_id, amount in parts:
        try:
            stripe_refund = stripe_client().v1.refunds.create(
                params={
                    "payment_intent": intent_id,
                    "amount": amount,
                    "reason": reason,
                    "metadata": {"payment_id": str(payment.pk)},
                },
                options={"idempotency_key": f"refund-{payment.pk}-{payment.refunds.count()}"},
            )
        except stripe.StripeError as error:
            return refunds, RefundFailed(f"Stripe refused to refund {intent_id}: {error.user_message or error}")
        refunds.append(
            record_refund(
                payment=payment,
                payment_intent_id=intent_id,
                refund_id=stripe_refund.id,
                amount=stripe_refund.amount,
                reason=reason,
            )
        )
    return refunds, None
