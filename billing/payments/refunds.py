"""Money given back to the driver's card, by an operator here or from Stripe's dashboard (its webhook).

Both paths record each Stripe refund once, by its id, and mark the payment
refunded once every charged cent is back.
"""

from decimal import Decimal

import stripe
from django.db import transaction as db_transaction
from django.utils import timezone

from billing.models import Payment, Refund
from billing.payments import client
from billing.payments.amounts import from_minor_units, to_minor_units
from billing.payments.client import provider_call
from billing.payments.errors import NothingToRefund, RefundFailed

# A refund that failed or was canceled gave nothing back.
GIVEN_BACK = ("succeeded", "pending")


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
            stripe_refund = client.stripe_client().v1.refunds.create(
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


@provider_call
def refunds_of_charge(*, charge_id: str) -> list[dict]:
    """Every refund Stripe gave back on a charge (ours or the dashboard's), as plain dicts; failed or
    canceled ones gave nothing back. Read from Stripe: on current API versions a charge.refunded
    event no longer lists them."""
    listing = client.stripe_client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
    return [r.to_dict() for r in listing.auto_paging_iter() if r.status in GIVEN_BACK]
