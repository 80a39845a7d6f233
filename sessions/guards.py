"""Checks an upper app makes before the charger is asked to start a driver's session.

`sessions` cannot know how a session is paid for (that is billing's); billing
registers a guard in its AppConfig.ready() that holds money on the driver's
card, and refuses the start with one of the domain errors below. A guard runs
inside the start request, after the pending session exists and before the
charger hears of it: no energy without a hold.
"""

from collections.abc import Callable
from enum import StrEnum

from sessions.models import DriverSession


class PaymentReason(StrEnum):
    """Why a start was refused for its payment: the words the session and the API give."""

    METHOD_REQUIRED = "payment_method_required"
    DECLINED = "payment_declined"
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable"


class PaymentRefused(Exception):
    """The driver cannot pay for this session (no card, or the card was declined)."""

    def __init__(self, code: PaymentReason, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentUnavailable(Exception):
    """Whether the driver can pay cannot be known now (the payment provider is unreachable)."""

    code = PaymentReason.PROVIDER_UNAVAILABLE


StartGuard = Callable[[DriverSession], None]
_start_guards: list[StartGuard] = []


def register_start_guard(guard: StartGuard) -> None:
    if guard not in _start_guards:
        _start_guards.append(guard)


def check_start(*, session: DriverSession) -> None:
    """Run every registered guard; the first refusal (PaymentRefused, PaymentUnavailable) is raised."""
    for guard in _start_guards:
        guard(session)
