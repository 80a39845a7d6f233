"""Issue 9 item 2: a Stripe event signed with the webhook secret the code once shipped is a forgery."""

import json

import pytest

from tests.billing.localstripe_server import localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_payments import driver, make_session  # noqa: F401 (fixtures)
from tests.billing.test_webhooks import hold, intent, post_signed, state, stripe_event  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.test_webhooks")]

OLD_CODE_DEFAULT = "whsec_voltstack_dev"


def test_an_event_signed_with_the_old_code_default_is_refused_and_changes_nothing(client, hold):
    before = state(hold)
    body = json.dumps(stripe_event("payment_intent.canceled", intent("pi_hold")))
    response = post_signed(client, body, OLD_CODE_DEFAULT)
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert state(hold) == before and hold.status == "authorised"
