"""Taking a finished session's exact cost, once: from its hold, or by charging the card when it had none.

Idempotent: each step is recorded on the Payment as it succeeds, and the row
is locked meanwhile, so a second call (a retried task, a chain run again after
a worker died) finds nothing left to do; every Stripe write carries a key
derived from our ids, so a step Stripe did but we did not record is answered
with Stripe's first result.
"""

from decimal import Decimal

import stripe
from django.db import IntegrityError
from django.db import transaction as db_transaction

from billing.models import ChargeDetailRecord, Payment
from billing.payments import cards, client
from billing.payments.amounts import to_minor_units
from billing.payments.client import provider_call
from billing.payments.errors import CurrencyMismatch, NoPaymentMethod, PaymentDeclined
from billing.services import record_charge_detail_record
from sessions.models import DriverSession


@provider_call
def settle(*, session: DriverSession) -> Payment | None:
    """Take exactly the session's cost, once: capture it from the hold, cancel the hold when it is zero,
    and charge what exceeds the hold by a second PaymentIntent. A session that had no hold is charged
    its cost off-session with the saved card; None when it costs nothing.

    A declined excess charge is kept (the capture stays recorded) and retried by the next call.
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
    customer = cards.ensure_customer(driver=session.driver)
    try:
        intent = client.stripe_client().v1.payment_intents.create(
            params={
                "amount": to_minor_units(cost, currency),
                "currency": currency.lower(),
                "customer": customer.stripe_customer_id,
                "payment_method": cards.default_card(customer),
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


def _session_cost(session: DriverSession, payment: Payment) -> Decimal:
    """What the driver owes: the sealed CDR's total incl. VAT; zero for a session that never charged or has no tariff.

    `record_charge_detail_record` is idempotent, so this seals the CDR if the
    chain's first step has not yet, and otherwise reads the stored one.
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
    intents = client.stripe_client().v1.payment_intents
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
    intent = client.stripe_client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    try:
        charge = client.stripe_client().v1.payment_intents.create(
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
