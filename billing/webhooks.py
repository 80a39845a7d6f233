"""Stripe's webhook: what happened to our payments on Stripe's side, told back to us.

Our own calls (billing.payments) already record what they did, so events
mostly confirm it; they matter when Stripe or an operator acted without us
(a hold that expired, a refund from the dashboard) or when we crashed
between a Stripe call and saving its answer.

Every event is verified with Stripe's signature, recorded once by its id
(Stripe delivers at least once, so a replay must change nothing) and
handled in the same transaction: a failed handler records nothing, answers
500, and Stripe's retry handles the event again.

The signature check and the SDK live in billing.payments.events.
Mount: path("stripe/webhook", billing.webhooks.stripe_webhook).
"""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.models import Payment, StripeEvent
from billing.payments import refunds
from billing.payments.amounts import from_minor_units
from billing.payments.events import InvalidPayload, InvalidSignature, verified_event

HOLD, EXCESS = "hold", "excess"
Outcome = StripeEvent.Outcome


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Stripe posts events here; 2xx tells it to stop retrying, so only a bad request or our own failure answers otherwise."""
    try:
        event = verified_event(request.body, request.headers.get("Stripe-Signature"))
    except InvalidSignature as error:
        return _refused("invalid_signature", str(error))
    except InvalidPayload as error:
        return _refused("invalid_payload", str(error))
    record = receive(event)
    return JsonResponse({"received": True, "duplicate": record is None})


def receive(event: dict) -> StripeEvent | None:
    """Record the event and apply it, in one transaction; None when its id was recorded before (a replay).

    The unique id is claimed first, so of two concurrent deliveries the
    second waits for the first and then finds it recorded.
    """
    handler = HANDLERS.get(event["type"])
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    stripe_event_id=event["id"],
                    type=event["type"],
                    payload=event,
                    outcome=Outcome.IGNORED if handler is None else Outcome.HANDLED,
                )
        except IntegrityError:
            return None
        if handler is not None:
            record.outcome = handler(event["data"]["object"])
            record.save(update_fields=["outcome"])
    return record


def intent_succeeded(intent: dict) -> str:
    """Money taken: record a capture or excess charge we did not get to record ourselves; what we recorded stays."""
    found = _payment_for(intent["id"], _excess_of(intent))
    if found is None:
        return Outcome.UNMATCHED
    payment, role = found
    received = from_minor_units(intent["amount_received"], payment.currency)
    if role == HOLD:
        _update(
            payment,
            {"status": Payment.Status.AUTHORISED},
            status=Payment.Status.CAPTURED,
            amount_captured=received,
            failure_code="",
        )
    else:
        _update(
            payment,
            {"excess_payment_intent_id": ""},
            excess_payment_intent_id=intent["id"],
            amount_excess=received,
            failure_code="",
        )
    return Outcome.HANDLED


def intent_failed(intent: dict) -> str:
    """The card was refused for the hold or the excess: keep Stripe's code, as a declined call of ours does."""
    found = _payment_for(intent["id"], _excess_of(intent))
    if found is None:
        return Outcome.UNMATCHED
    code = (intent.get("last_payment_error") or {}).get("code") or "payment_failed"
    _update(found[0], {}, failure_code=code)
    return Outcome.HANDLED


def intent_canceled(intent: dict) -> str:
    """A hold released on Stripe's side (expired, or cancelled in the dashboard) can no longer be captured."""
    found = _payment_for(intent["id"], _excess_of(intent))
    if found is None:
        return Outcome.UNMATCHED
    payment, role = found
    if role == HOLD:
        _update(payment, {"status": Payment.Status.AUTHORISED}, status=Payment.Status.CANCELLED)
    return Outcome.HANDLED


def charge_refunded(charge: dict) -> str:
    """Record every refund of the charge, ours or the dashboard's, and mark the payment refunded once all is back.

    The refunds are read from Stripe: on current API versions the event's
    charge no longer lists them.
    """
    found = _payment_for(charge.get("payment_intent"))
    if found is None:
        return Outcome.UNMATCHED
    payment = Payment.objects.select_for_update().get(pk=found[0].pk)
    for stripe_refund in refunds.refunds_of_charge(charge_id=charge["id"]):
        refunds.record_refund(
            payment=payment,
            payment_intent_id=charge["payment_intent"],
            refund_id=stripe_refund["id"],
            amount=stripe_refund["amount"],
            reason=stripe_refund.get("reason") or "",
        )
    refunds.sync_refund_status(payment)
    return Outcome.HANDLED


def charge_disputed(dispute: dict) -> str:
    """A driver's bank disputes the charge (opened, updated or closed): keep the dispute as Stripe has it now.

    The alerts inbox raises an alert while the dispute is open. The dispute
    names its PaymentIntent, the hold or the excess charge; a dispute Stripe
    sends again with an older status cannot be told from a newer one here,
    but Stripe sends each change once and closes a dispute only once.
    """
    found = _payment_for(dispute.get("payment_intent"))
    if found is None:
        return Outcome.UNMATCHED
    _update(
        found[0],
        {},
        dispute_id=dispute["id"],
        dispute_status=dispute.get("status") or "",
        dispute_reason=dispute.get("reason") or "",
        disputed_at=_timestamp(dispute.get("created")) or timezone.now(),
    )
    return Outcome.HANDLED


HANDLERS: dict[str, Callable[[dict], str]] = {
    "payment_intent.succeeded": intent_succeeded,
    "payment_intent.payment_failed": intent_failed,
    "payment_intent.canceled": intent_canceled,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": charge_disputed,
    "charge.dispute.updated": charge_disputed,
    "charge.dispute.closed": charge_disputed,
}


def _timestamp(seconds: int | None) -> datetime | None:
    """Stripe's Unix seconds as an aware UTC time."""
    return datetime.fromtimestamp(seconds, tz=UTC) if isinstance(seconds, int) else None


def _excess_of(intent: dict) -> str | None:
    """The hold an excess charge belongs to, as `payments` names it in the charge's metadata."""
    return (intent.get("metadata") or {}).get("excess_of")


def _payment_for(intent_id: str | None, excess_of: str | None = None) -> tuple[Payment, str] | None:
    """The Payment a PaymentIntent belongs to, and whether it is the hold or the excess.

    An excess charge whose id we never saved (we crashed after Stripe
    charged) is still found through the hold its metadata names.
    """
    if not intent_id:
        return None
    for role, field in ((HOLD, "stripe_payment_intent_id"), (EXCESS, "excess_payment_intent_id")):
        payment = Payment.objects.filter(**{field: intent_id}).first()
        if payment is not None:
            return payment, role
    payment = (
        Payment.objects.filter(stripe_payment_intent_id=excess_of, excess_payment_intent_id="").first()
        if excess_of
        else None
    )
    return (payment, EXCESS) if payment is not None else None


def _update(payment: Payment, only_if: dict, **changes) -> None:
    """A conditional UPDATE: it waits for a settle holding the row, then applies only if the row still matches."""
    Payment.objects.filter(pk=payment.pk, **only_if).update(**changes, updated_at=timezone.now())


def _refused(code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=400)
