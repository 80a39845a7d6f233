"""Stripe's webhook events, verified with the endpoint's signing secret: the SDK part of billing.webhooks.

Setting: STRIPE_WEBHOOK_SECRET (the endpoint's signing secret; no default in the code, see csms/secrets.py).
"""

import stripe
from django.conf import settings

from billing.payments import client


class InvalidSignature(ValueError):
    """Not signed with our secret, or signed too long ago: not from Stripe, or replayed."""


class InvalidPayload(ValueError):
    """Correctly signed, but not a Stripe event we can read."""


def verified_event(payload: bytes, signature: str | None) -> dict:
    """The event as a plain dict, once the SDK has checked it was signed with our secret within its tolerance."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    try:
        event = client.stripe_client().construct_event(payload, signature, secret).to_dict()
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from error
    except (
        ValueError,
        AttributeError,
    ) as error:  # not JSON (ValueError), or JSON but no object (the SDK calls .get on it)
        raise InvalidPayload(f"the body is not a JSON event: {error}") from error
    if not _is_event(event):
        raise InvalidPayload("an event needs an id, a type and data.object")
    return event


def _is_event(event: dict) -> bool:
    data = event.get("data")
    return (
        isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )
