"""Card payments as our records keep them: the driver's Stripe customer, the session's Payment, its refunds, Stripe's webhook events."""

from django.conf import settings
from django.db import models

from billing.models.money import money_field, validate_currency


class PaymentCustomer(models.Model):
    """The Stripe customer that holds a driver's saved cards: created once, then reused for every session."""

    driver = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} ({self.driver})"


class Payment(models.Model):
    """The money side of one driver session: a card hold at the start, one capture at the end.

    One per session (the rule that prevents double billing). A cost above the
    hold is charged by a second PaymentIntent, kept beside the first.
    """

    class Status(models.TextChoices):
        AUTHORISED = "authorised"
        CAPTURED = "captured"
        CANCELLED = "cancelled"
        FAILED = "failed"
        REFUNDED = "refunded"

    driver_session = models.OneToOneField("charging.DriverSession", on_delete=models.PROTECT, related_name="payment")
    stripe_payment_intent_id = models.CharField(
        max_length=255, blank=True, help_text="The hold (capture_method=manual)"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_authorised = money_field()
    amount_captured = money_field(default=0, help_text="Taken from the hold")
    excess_payment_intent_id = models.CharField(max_length=255, blank=True, help_text="Charges the cost above the hold")
    amount_excess = money_field(default=0, help_text="Charged by the excess PaymentIntent")
    status = models.CharField(max_length=16, choices=Status.choices)
    failure_code = models.CharField(
        max_length=64, blank=True, help_text="Stripe's decline code, when the card was refused"
    )
    # A driver's bank disputing the charge (Stripe's charge.dispute.* webhooks): the latest dispute as Stripe told it.
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(
        max_length=32, blank=True, help_text="Stripe's dispute status, e.g. needs_response, under_review, won, lost"
    )
    dispute_reason = models.CharField(max_length=64, blank=True, help_text="Stripe's reason, e.g. fraudulent")
    disputed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Stripe's dispute statuses that still need an answer or a decision (the others: won, lost, warning_closed).
    OPEN_DISPUTE_STATUSES = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Payment of session {self.driver_session_id}: {self.status}"


class Refund(models.Model):
    """Money given back from a Payment's hold capture or excess charge; one row per Stripe refund, whoever made it."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(
        max_length=255, help_text="The refunded PaymentIntent: the hold or the excess"
    )
    amount = money_field()
    reason = models.CharField(max_length=32, blank=True, help_text="Stripe's reason, e.g. requested_by_customer")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.stripe_refund_id}: {self.amount} {self.payment.currency}"


class StripeEvent(models.Model):
    """A webhook event Stripe delivered, kept once: Stripe retries deliveries, so a replay must find its id here and do nothing."""

    class Outcome(models.TextChoices):
        HANDLED = "handled", "handled (our records were checked against it)"
        UNMATCHED = "unmatched", "unmatched (about a payment we do not know)"
        IGNORED = "ignored", "ignored (a type we do not handle)"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    payload = models.JSONField(help_text="The event as Stripe sent it")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} ({self.type}): {self.outcome}"
