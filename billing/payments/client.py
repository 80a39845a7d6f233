"""The one place that builds the Stripe SDK client from Django settings, and turns SDK failures into ours.

Services ask `stripe_client()` for a client instead of setting `stripe.api_key`
or `stripe.api_base` on the module: module globals would leak between tests
and between configurations, and Stripe's own docs steer new code to
`StripeClient`.

Settings: STRIPE_API_KEY (secret key) and STRIPE_API_BASE (where the API
lives; tests point it at localstripe).
"""

import functools
from collections.abc import Callable
from functools import lru_cache
from typing import ParamSpec, TypeVar

import stripe
from django.conf import settings

from billing.payments.errors import ProviderUnavailable

# Safe because every write carries an idempotency key: a retried request
# returns the first answer instead of charging again.
NETWORK_RETRIES = 2

P = ParamSpec("P")
R = TypeVar("R")


def stripe_client() -> stripe.StripeClient:
    """The client for the current settings (read per call, so an override takes effect at once)."""
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    """One client per configuration, so its HTTP connections are reused across calls."""
    return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=NETWORK_RETRIES)


def provider_call(func: Callable[P, R]) -> Callable[P, R]:
    """A public payment function: whatever the SDK raises that the function did not handle itself
    (the provider unreachable, failing, refusing our request) leaves it as ProviderUnavailable."""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as error:
            raise ProviderUnavailable(type(error).__name__) from error

    return call
