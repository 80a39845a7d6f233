"""The credentials handshake as a partner sees it: it registers with us (POST), updates (PUT), ends (DELETE)."""

import base64
import json

import pytest

from roaming.models import Partner, RequestLog
from roaming.services import registration
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import CREDENTIALS_URL, DETAILS_URL, ROLES, VERSIONS_URL

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/credentials"


def their_credentials(token="token-b", url=VERSIONS_URL, roles=ROLES):
    return json.dumps({"token": token, "url": url, "roles": roles})


def post(client, token_a, body=None, **headers):
    return client.post(URL, body or their_credentials(), content_type="application/json", **auth(token_a), **headers)


def register(client, token_a) -> str:
    """Register the fake eMSP with token A; our token C it was given."""
    response = post(client, token_a)
    assert response.status_code == 200, response.content
    assert response.json()["status_code"] == 1000
    return response.json()["data"]["token"]


def test_a_partner_registers_with_token_a_and_gets_our_credentials(client, emsp, pending_partner):
    partner, token_a = pending_partner
    response = post(client, token_a, HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="corr-1")

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000 and body["status_message"] == "Success"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["url"] == "http://127.0.0.1:8000/ocpi/versions"
    assert body["data"]["roles"] == [
        {"role": "CPO", "country_code": "DE", "party_id": "VST", "business_details": {"name": "Voltstack"}}
    ]
    token_c = body["data"]["token"]
    assert token_c and token_c != token_a and len(token_c) <= 64
    assert response["X-Request-ID"] == "req-1" and response["X-Correlation-ID"] == "corr-1"

    partner.refresh_from_db()
    assert partner.status == Partner.Status.REGISTERED
    assert (partner.country_code, partner.party_id, partner.roles) == ("NL", "EXA", ROLES)
    assert (partner.versions_url, partner.version) == (VERSIONS_URL, "2.2.1")
    assert partner.endpoints["credentials"] == {"SENDER": CREDENTIALS_URL, "RECEIVER": CREDENTIALS_URL}
    assert partner.endpoint("locations") == "http://emsp.test/ocpi/2.2.1/locations"
    assert registration.their_token(partner=partner) == "token-b"
    assert "token-b" not in partner.their_token_encrypted
    assert token_c not in (partner.our_token_hash, partner.token_a_hash) and partner.token_a_hash == ""

    # We called it back with its token B, Base64-encoded, and our ids.
    assert [r.url for r in emsp.received] == [VERSIONS_URL, DETAILS_URL]
    for sent in emsp.received:
        assert sent.headers["Authorization"] == "Token " + base64.b64encode(b"token-b").decode()
        assert sent.headers["X-Request-ID"] and sent.headers["X-Correlation-ID"]


def test_each_request_in_and_out_is_logged_without_the_tokens(client, emsp, pending_partner):
    partner, token_a = pending_partner
    token_c = register(client, token_a)

    rows = list(RequestLog.objects.order_by("id"))
    assert [(r.direction, r.method, r.url) for r in rows] == [
        ("out", "GET", VERSIONS_URL),
        ("out", "GET", DETAILS_URL),
        ("in", "POST", "http://testserver/ocpi/2.2.1/credentials"),
    ]
    assert all(r.partner_id == partner.pk for r in rows)
    assert [(r.http_status, r.ocpi_status_code) for r in rows] == [(200, 1000)] * 3
    assert rows[0].request_id == emsp.received[0].headers["X-Request-ID"]
    for row in rows:
        assert "token-b" not in row.request_body + row.response_body
        assert token_c not in row.request_body + row.response_body
    assert json.loads(rows[2].request_body)["token"] == "***"


def test_token_c_reads_our_credentials_and_token_a_is_spent(client, emsp, pending_partner):
    _, token_a = pending_partner
    token_c = register(client, token_a)

    response = client.get(URL, **auth(token_c))
    assert response.status_code == 200
    assert response.json()["data"]["token"] == token_c
    assert client.get("/ocpi/versions", **auth(token_c)).status_code == 200

    spent = client.get(URL, **auth(token_a))
    assert spent.status_code == 401
    assert post(client, token_a).status_code == 401


def test_a_repeated_post_by_a_registered_partner_is_405(client, emsp, pending_partner):
    _, token_a = pending_partner
    token_c = register(client, token_a)

    response = post(client, token_c)
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    assert len(emsp.received) == 2  # no second callback


def test_an_unreachable_partner_is_3001_and_token_a_still_works(client, emsp, pending_partner):
    partner, token_a = pending_partner
    emsp.reachable = False

    response = post(client, token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 3001
    assert response.json()["data"] is None
    partner.refresh_from_db()
    assert partner.status == Partner.Status.PENDING and partner.our_token_hash == ""
    out = RequestLog.objects.get(direction="out")
    assert out.http_status is None and out.error.startswith("unreachable")

    emsp.reachable = True
    assert register(client, token_a)


def test_a_partner_refusing_its_own_token_b_is_3001(client, emsp, pending_partner):
    _, token_a = pending_partner
    response = post(client, token_a, their_credentials(token="not-its-token"))
    assert response.json()["status_code"] == 3001


def test_missing_endpoints_are_3003(client, emsp, pending_partner):
    partner, token_a = pending_partner
    emsp.modules = ("credentials", "tokens")

    response = post(client, token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 3003
    assert "locations" in response.json()["status_message"]
    partner.refresh_from_db()
    assert partner.status == Partner.Status.PENDING


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param(json.dumps({"url": VERSIONS_URL, "roles": ROLES}), id="no-token"),
        pytest.param(their_credentials(url="ftp://x"), id="bad-url"),
        pytest.param(their_credentials(roles=[]), id="no-roles"),
        pytest.param(their_credentials(roles=[{"role": "EMSP"}]), id="role-without-party"),
    ],
)
def test_a_bad_credentials_object_is_2001(client, emsp, pending_partner, body):
    _, token_a = pending_partner
    response = post(client, token_a, body)
    assert response.status_code in (200, 400)
    assert response.json()["status_code"] == 2001
    assert emsp.received == []


def test_put_takes_the_new_token_b_and_rotates_token_c(client, emsp, pending_partner):
    partner, token_a = pending_partner
    token_c = register(client, token_a)
    emsp.tokens.add("token-b2")

    response = client.put(URL, their_credentials(token="token-b2"), content_type="application/json", **auth(token_c))
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    new_c = response.json()["data"]["token"]
    assert new_c != token_c
    partner.refresh_from_db()
    assert registration.their_token(partner=partner) == "token-b2"
    assert [r.url for r in emsp.received[2:]] == [VERSIONS_URL, DETAILS_URL]  # fetched again, with B2
    assert emsp.presented_token(emsp.received[-1]) == "token-b2"
    assert client.get(URL, **auth(token_c)).status_code == 401
    assert client.get(URL, **auth(new_c)).status_code == 200


def test_put_and_delete_before_registration_are_405(client, pending_partner):
    _, token_a = pending_partner
    assert client.put(URL, their_credentials(), content_type="application/json", **auth(token_a)).status_code == 405
    assert client.delete(URL, **auth(token_a)).status_code == 405


def test_delete_unregisters_and_token_c_stops_working(client, emsp, pending_partner):
    partner, token_a = pending_partner
    token_c = register(client, token_a)

    response = client.delete(URL, **auth(token_c))
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    partner.refresh_from_db()
    assert partner.status == Partner.Status.UNREGISTERED
    assert partner.their_token_encrypted == "" and partner.our_token_hash == ""
    assert client.get(URL, **auth(token_c)).status_code == 401
    assert client.get("/ocpi/versions", **auth(token_c)).status_code == 401


def test_a_raw_token_works_only_for_a_partner_flagged_tokens_raw(client, emsp, pending_partner):
    partner, token_a = pending_partner
    raw = {"HTTP_AUTHORIZATION": f"Token {token_a}"}
    assert client.get(URL, **raw).status_code == 401

    partner.tokens_raw = True
    partner.save()
    emsp.raw = True
    response = client.post(URL, their_credentials(), content_type="application/json", **raw)
    assert response.json()["status_code"] == 1000
    assert emsp.received[0].headers["Authorization"] == "Token token-b"  # we call it raw too
    token_c = response.json()["data"]["token"]
    assert client.get(URL, HTTP_AUTHORIZATION=f"Token {token_c}").status_code == 200
