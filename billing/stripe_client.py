"""The one place that builds the Stripe SDK client from Django settings.

Services ask `stripe_client()` for a client instead of setting `stripe.api_key`
or `stripe.api_base` on the module: module globals would leak between tests
and between configurations, and Stripe's own docs steer new code to
`StripeClient`.

Settings: STRIPE_API_KEY (secret key) and STRIPE_API_BASE (where the API
lives; tests point it at localstripe).
"""

from functools import lru_cache

from django.conf import settings
from stripe import StripeClient

# Safe because every write carries an idempotency key: a retried request
# returns the first answer instead of charging again.
NETWORK_RETRIES = 2


def stripe_client() -> StripeClient:
    """The client for the current settings (read per call, so an override takes effect at once)."""
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> StripeClient:
    """One client per configuration, so its HTTP connections are reused across calls."""
    return StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=NETWORK_RETRIES)
