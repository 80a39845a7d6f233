"""What a caller of billing.payments sees when a payment cannot go ahead: never an SDK type."""


class PaymentError(Exception):
    """Base of the errors a caller (API view, task, admin) turns into a clear answer."""


class ProviderUnavailable(PaymentError):
    """Stripe could not be reached or failed; `kind` names what went wrong. Worth retrying."""

    def __init__(self, kind: str):
        super().__init__(f"The payment provider could not be reached ({kind}).")
        self.kind = kind


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


class NothingToRefund(PaymentError):
    """The amount asked is not positive, or more than was charged minus what was refunded already."""


class RefundFailed(PaymentError):
    """Stripe refused a refund; parts refunded before it stay recorded."""
