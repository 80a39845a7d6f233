"""The Tokens receiver: an eMSP pushes its tokens (PUT, PATCH) and reads them back (GET), as the partner
sees it (the envelope, the status codes), and as the domain keeps them (IdTag rows)."""

import json

import pytest

from roaming.models import Partner
from roaming.schemas import TOKEN
from roaming.secrets import token_hash
from sessions.authorization import authorize
from sessions.models import IdTag
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/tokens/NL/EMS/04A2B3C4D5E6F7"
TOKEN_C = "token-c-of-the-emsp"


def token(**changes) -> dict:
    body = {
        "country_code": "NL",
        "party_id": "EMS",
        "uid": "04A2B3C4D5E6F7",
        "type": "RFID",
        "contract_id": "NL-EMS-C12345678-X",
        "visual_number": "DF000-2001-8999-1",
        "issuer": "Partner eMSP",
        "group_id": "DF000-2001-8999",
        "valid": True,
        "whitelist": "ALLOWED",
        "language": "nl",
        "last_updated": "2026-12-01T10:00:00Z",
    }
    return {**body, **changes}


@pytest.fixture
def emsp_partner():
    return Partner.objects.create(
        name="Partner eMSP",
        country_code="NL",
        party_id="EMS",
        roles=[{"role": "EMSP", "country_code": "NL", "party_id": "EMS", "business_details": {"name": "P"}}],
        status=Partner.Status.REGISTERED,
        our_token_hash=token_hash(TOKEN_C),
    )


def send(client, method: str, url: str, body=None, **headers):
    headers = headers or auth(TOKEN_C)
    if method == "get":
        return client.get(url, **headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", **headers)


def test_put_creates_the_token_as_an_id_tag(client, emsp_partner):
    response = send(client, "put", URL + "?type=RFID", token())
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000 and response.json()["data"] is None
    tag = IdTag.objects.get(id_tag="04A2B3C4D5E6F7")
    assert (tag.issuer_party, tag.contract_id, tag.token_type, tag.id_token_type) == (
        "NL*EMS", "NL-EMS-C12345678-X", "RFID", "ISO14443",
    )  # fmt: skip
    assert (tag.whitelist, tag.valid, tag.visual_number, tag.issuer_group, tag.language, tag.owner) == (
        "allowed", True, "DF000-2001-8999-1", "DF000-2001-8999", "nl", None,
    )  # fmt: skip
    assert authorize(id_tag="04A2B3C4D5E6F7").status == "Accepted"


def test_put_again_updates_the_same_token(client, emsp_partner):
    send(client, "put", URL, token())
    response = send(client, "put", URL, token(valid=False, whitelist="ALWAYS", last_updated="2026-12-02T10:00:00Z"))
    assert response.json()["status_code"] == 1000
    tag = IdTag.objects.get()
    assert (tag.valid, tag.whitelist, tag.last_updated.isoformat()) == (False, "always", "2026-12-02T10:00:00+00:00")
    assert authorize(id_tag=tag.id_tag).status == "Blocked"


def test_patch_changes_only_what_it_names(client, emsp_partner):
    send(client, "put", URL, token())
    response = send(client, "patch", URL, {"valid": False, "last_updated": "2026-12-03T10:00:00Z"})
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    got = send(client, "get", URL).json()["data"]
    assert got == token(valid=False, last_updated="2026-12-03T10:00:00Z")


def test_patch_without_last_updated_is_2001(client, emsp_partner):
    send(client, "put", URL, token())
    response = send(client, "patch", URL, {"valid": False})
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert IdTag.objects.get().valid is True


def test_patch_or_get_of_an_unknown_token_is_2004(client, emsp_partner):
    patch = send(client, "patch", URL, {"valid": False, "last_updated": "2026-12-03T10:00:00Z"})
    get = send(client, "get", URL)
    assert [(r.status_code, r.json()["status_code"]) for r in (patch, get)] == [(404, 2004), (404, 2004)]


def test_get_returns_the_token_as_an_ocpi_token(client, emsp_partner):
    send(client, "put", URL, token())
    response = send(client, "get", URL + "?type=RFID")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "status_code", "status_message", "timestamp"}
    assert_ocpi(TOKEN, body["data"])
    assert body["data"] == token()


def test_the_type_query_parameter_names_the_token(client, emsp_partner):
    app_url = "/ocpi/2.2.1/tokens/NL/EMS/APP-USER-7"
    app = token(uid="APP-USER-7", type="APP_USER")
    assert send(client, "put", app_url + "?type=APP_USER", app).json()["status_code"] == 1000
    assert IdTag.objects.get(id_tag="APP-USER-7").id_token_type == "Central"
    assert send(client, "get", app_url + "?type=APP_USER").json()["data"]["type"] == "APP_USER"
    assert send(client, "get", app_url).status_code == 404  # no ?type= means RFID
    mismatch = send(client, "put", app_url, app)  # the URL says RFID, the body APP_USER
    assert (mismatch.status_code, mismatch.json()["status_code"]) == (400, 2001)
    unknown = send(client, "get", app_url + "?type=BADGE")
    assert (unknown.status_code, unknown.json()["status_code"]) == (400, 2001)


def test_another_partys_url_is_refused(client, emsp_partner):
    response = send(client, "put", "/ocpi/2.2.1/tokens/DE/ABC/04A2B3C4D5E6F7", token(country_code="DE", party_id="ABC"))
    assert (response.status_code, response.json()["status_code"]) == (403, 2001)
    assert send(client, "get", "/ocpi/2.2.1/tokens/DE/ABC/04A2B3C4D5E6F7").status_code == 403
    assert not IdTag.objects.exists()


def test_a_token_naming_another_party_or_uid_than_its_url_is_2001(client, emsp_partner):
    for body in (token(party_id="XYZ"), token(uid="OTHER-UID")):
        response = send(client, "put", URL, body)
        assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert not IdTag.objects.exists()


def test_a_uid_another_issuer_holds_is_refused(client, emsp_partner):
    IdTag.objects.create(id_tag="04A2B3C4D5E6F7")  # one of our own cards
    response = send(client, "put", URL, token())
    assert (response.status_code, response.json()["status_code"]) == (409, 2000)
    assert IdTag.objects.get().issuer_party == ""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param([], id="not-an-object"),
        pytest.param({k: v for k, v in token().items() if k != "contract_id"}, id="missing-contract-id"),
        pytest.param(token(whitelist="SOMETIMES"), id="bad-whitelist"),
        pytest.param(token(type="CARD"), id="bad-type"),
        pytest.param(token(valid="yes"), id="valid-not-boolean"),
        pytest.param(token(issuer="x" * 65), id="issuer-too-long"),
        pytest.param(token(visual_number="x" * 65), id="visual-number-too-long"),
        pytest.param(token(group_id="x" * 37), id="group-id-too-long"),
        pytest.param(token(contract_id="x" * 37), id="contract-id-too-long"),
        pytest.param(token(language="nld"), id="language-too-long"),
        pytest.param(token(last_updated="yesterday"), id="bad-last-updated"),
        pytest.param(token(default_profile_type="SLOW"), id="bad-profile-type"),
        pytest.param(token(energy_contract={"contract_id": "1"}), id="energy-contract-without-supplier"),
    ],
)
def test_a_bad_body_is_2001(client, emsp_partner, body):
    response = send(client, "put", URL, body)
    assert response.json()["status_code"] == 2001, response.json()
    assert response.status_code in (200, 400)
    assert not IdTag.objects.exists()


def test_a_uid_longer_than_36_is_2001(client, emsp_partner):
    uid = "X" * 37
    response = send(client, "put", f"/ocpi/2.2.1/tokens/NL/EMS/{uid}", token(uid=uid))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_no_or_an_unknown_token_is_401(client, emsp_partner, method):
    for headers in ({"HTTP_X_NOTHING": "1"}, auth("someone else")):
        response = send(client, method, URL, token(), **headers)
        assert (response.status_code, response.json()["status_code"]) == (401, 2000)
    assert not IdTag.objects.exists()


def test_version_details_list_the_tokens_receiver(client, emsp_partner):
    endpoints = send(client, "get", "/ocpi/2.2.1").json()["data"]["endpoints"]
    url = "http://127.0.0.1:8000/ocpi/2.2.1/tokens"
    assert {"identifier": "tokens", "role": "RECEIVER", "url": url} in endpoints
    response = send(client, "get", "/ocpi/2.2.1/tokens")
    assert (response.status_code, response.json()["status_code"]) == (405, 2000)
