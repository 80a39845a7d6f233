"""localstripe, a stateful fake Stripe API, run as a process on a free port of 127.0.0.1.

Import the fixtures into a test module: `from tests.billing.localstripe_server import localstripe, stripe_api`.

Quirks of localstripe 1.15.10 the tests live with:
- it ignores Idempotency-Key headers, so tests prove "never twice" from our
  own records, not from Stripe's replay;
- a PaymentIntent has no amount_received / amount_capturable: what was taken
  is the latest charge's amount minus its refunds (a partial capture refunds
  the rest), see `amount_received`;
- confirming a SetupIntent does not attach its card to the customer, so
  `save_card` attaches it as Stripe does;
- 4000000000000002 is declined when the card is saved, not when charged;
  the card declined at charge time is 4000000000000341 (pm_card_chargeCustomerFail);
- it listens on "::" (dual stack), and pickles its store to
  /tmp/localstripe.pickle after every write (read back only without --from-scratch).
"""

import subprocess
import sys
import time
import urllib.request

import pytest
from stripe import StripeClient

from csms.embedded import free_port, port_open


class LocalStripe:
    """One localstripe process; `flush()` empties its store between tests."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> StripeClient:
        """A client of our own for assertions, independent of the code under test."""
        return StripeClient("sk_test_localstripe", base_addresses={"api": self.url}, max_network_retries=0)

    def flush(self) -> None:
        request = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode}")
            if port_open(self.port):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not listen on 127.0.0.1:{self.port} within 30 s")


def amount_received(client: StripeClient, payment_intent_id: str) -> int:
    """Minor units a PaymentIntent took, as Stripe's amount_received would say (localstripe lacks the field)."""
    intent = client.v1.payment_intents.retrieve(payment_intent_id)
    charge = intent.latest_charge
    if charge is None or not charge.captured or charge.status != "succeeded":
        return 0
    return charge.amount - charge.amount_refunded


def save_card(client: StripeClient, client_secret: str, customer_id: str, payment_method: str) -> str:
    """What the driver's app does with a SetupIntent's secret: confirm it with a card, which saves the card."""
    setup_intent_id = client_secret.split("_secret_")[0]
    intent = client.v1.setup_intents.confirm(setup_intent_id, params={"payment_method": payment_method})
    client.v1.payment_methods.attach(intent.payment_method, params={"customer": customer_id})
    return intent.payment_method


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture
def stripe_api(localstripe, settings):
    """Point the code under test at an empty localstripe; yields the assertion client."""
    localstripe.flush()
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_API_KEY = "sk_test_voltstack"
    return localstripe.client()
