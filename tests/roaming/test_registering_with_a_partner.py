"""The other direction: an operator registers us with a partner given its versions URL and token A."""

import base64

import pytest

from roaming.envelope import OcpiError
from roaming.models import Partner, RequestLog
from roaming.services import registration
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import CREDENTIALS_URL, DETAILS_URL, ROLES, VERSIONS_URL

pytestmark = pytest.mark.django_db


def test_we_register_with_a_partner_and_it_can_call_us(client, emsp):
    partner = registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")

    # GET versions, GET details, POST credentials: all with its token A, Base64-encoded.
    assert [(r.method, r.url) for r in emsp.received] == [
        ("GET", VERSIONS_URL),
        ("GET", DETAILS_URL),
        ("POST", CREDENTIALS_URL),
    ]
    assert {r.headers["Authorization"] for r in emsp.received} == {"Token " + base64.b64encode(b"token-b").decode()}
    ours = emsp.registered_with
    assert ours["url"] == "http://127.0.0.1:8000/ocpi/versions"
    assert ours["roles"][0]["role"] == "CPO"

    partner.refresh_from_db()
    assert partner.status == Partner.Status.REGISTERED
    assert (partner.roles, partner.country_code, partner.party_id) == (ROLES, "NL", "EXA")
    assert partner.endpoint("credentials", "RECEIVER") == CREDENTIALS_URL
    assert registration.their_token(partner=partner) == emsp.issued_token
    assert RequestLog.objects.filter(partner=partner, direction="out").count() == 3

    # The token we sent it is how it calls us now.
    response = client.get("/ocpi/2.2.1/credentials", **auth(ours["token"]))
    assert response.status_code == 200 and response.json()["data"]["token"] == ours["token"]


def test_missing_endpoints_stop_us_before_we_send_credentials(emsp):
    emsp.modules = ("credentials",)
    with pytest.raises(OcpiError) as refused:
        registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")
    assert refused.value.status_code == 3003
    assert [r.method for r in emsp.received] == ["GET", "GET"]
    assert Partner.objects.get().status == Partner.Status.PENDING


def test_a_wrong_token_a_is_3001_and_a_retry_reuses_the_partner(emsp):
    with pytest.raises(OcpiError) as refused:
        registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="wrong")
    assert refused.value.status_code == 3001
    registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")
    assert Partner.objects.get().status == Partner.Status.REGISTERED


def test_unregistering_deletes_at_the_partner_with_its_token(client, emsp):
    partner = registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")
    our_token = emsp.registered_with["token"]

    assert registration.unregister_at_partner(partner=partner) is None
    delete = emsp.received[-1]
    assert (delete.method, delete.url) == ("DELETE", CREDENTIALS_URL)
    assert emsp.presented_token(delete) == emsp.issued_token
    partner.refresh_from_db()
    assert partner.status == Partner.Status.UNREGISTERED
    assert client.get("/ocpi/2.2.1/credentials", **auth(our_token)).status_code == 401


def test_unregistering_an_unreachable_partner_still_ends_it_here(emsp):
    partner = registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")
    emsp.reachable = False
    assert "unreachable" in registration.unregister_at_partner(partner=partner)
    partner.refresh_from_db()
    assert partner.status == Partner.Status.UNREGISTERED
