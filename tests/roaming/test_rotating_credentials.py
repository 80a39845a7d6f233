"""An operator rotates the token a partner calls us with: we PUT our new credentials to the partner, and on
its answer the new token is ours and the old one stops working; a partner that does not take it keeps the old."""

import json

import pytest
from django.urls import reverse

from roaming.auth import authenticate
from roaming.client import authorization
from roaming.envelope import OcpiError
from roaming.models import Partner
from roaming.services import registration
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import CREDENTIALS_URL, VERSIONS_URL, envelope

pytestmark = pytest.mark.django_db

OURS = "/ocpi/2.2.1/credentials"
CHANGELIST = reverse("admin:roaming_partner_changelist")


@pytest.fixture
def registered_with(emsp):
    """We registered with the fake eMSP: (partner, the token it calls us with)."""
    partner = registration.register_with_partner(name="Example eMSP", versions_url=VERSIONS_URL, token_a="token-b")
    return partner, emsp.registered_with["token"]


def test_rotation_puts_our_new_token_to_the_partner_and_only_the_new_one_works(client, emsp, registered_with):
    partner, old = registered_with
    seen_during_put = []
    answer_put = emsp._update_credentials

    def update_credentials(request):  # the partner may call us with the new token before it answers
        seen_during_put.append(authenticate(authorization(json.loads(request.body)["token"])))
        return answer_put(request)

    emsp._update_credentials = update_credentials
    registration.rotate_credentials(partner=partner)

    put = emsp.received[-1]
    assert (put.method, put.url) == ("PUT", CREDENTIALS_URL)
    assert emsp.presented_token(put) == "emsp-token-for-voltstack"  # we call it with its token
    new = emsp.registered_with["token"]
    assert new != old and len(new) <= 64
    assert emsp.registered_with["url"].endswith("/ocpi/versions")
    assert emsp.registered_with["roles"][0]["role"] == "CPO"
    assert seen_during_put[0] is not None and seen_during_put[0][0] == partner
    assert client.get(OURS, **auth(old)).status_code == 401
    assert client.get(OURS, **auth(new)).status_code == 200
    partner.refresh_from_db()
    assert (partner.status, partner.pending_token_hash) == (Partner.Status.REGISTERED, "")
    assert registration.their_token(partner=partner) == "emsp-token-for-voltstack"


@pytest.mark.parametrize("failure", ["unreachable", "refused"])
def test_a_partner_that_does_not_take_the_new_token_keeps_the_old_one(client, emsp, registered_with, failure):
    partner, old = registered_with
    if failure == "unreachable":
        emsp.reachable = False
    else:
        emsp._update_credentials = lambda request: emsp._answer(request, 400, envelope(None, 2001, "Bad"))

    with pytest.raises(OcpiError) as refused:
        registration.rotate_credentials(partner=partner)

    assert refused.value.status_code == 3001
    assert client.get(OURS, **auth(old)).status_code == 200
    partner.refresh_from_db()
    assert partner.pending_token_hash == "" and partner.status == Partner.Status.REGISTERED


def test_the_admin_action_rotates_and_shows_a_failure(admin_client, client, emsp, registered_with):
    partner, old = registered_with
    page = admin_client.post(
        CHANGELIST, {"action": "rotate_credentials", "_selected_action": [partner.pk]}, follow=True
    )
    assert "credentials rotated; the old token no longer works" in page.content.decode()
    assert client.get(OURS, **auth(old)).status_code == 401
    new = emsp.registered_with["token"]

    emsp.reachable = False
    page = admin_client.post(
        CHANGELIST, {"action": "rotate_credentials", "_selected_action": [partner.pk]}, follow=True
    )
    assert "the old token stays: The partner did not take our new credentials" in page.content.decode()
    assert client.get(OURS, **auth(new)).status_code == 200


def test_a_partner_not_registered_has_nothing_to_rotate(emsp):
    partner = Partner.objects.create(name="Pending")
    with pytest.raises(OcpiError, match="not registered"):
        registration.rotate_credentials(partner=partner)
    assert emsp.received == []
