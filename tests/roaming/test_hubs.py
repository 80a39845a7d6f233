"""Hubs: one partner registered with roles for many parties. Requests to us are routed by the OCPI-from/to
headers (to must be us, from one of the caller's parties, and a token is written only for its own party);
calls we make name the party they are for in OCPI-to-*."""

import json

import pytest
from django.utils import timezone

from roaming import client
from roaming.models import HubClientInfo, Partner, RequestLog
from roaming.secrets import token_hash
from sessions.models import IdTag
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import BASE, VERSIONS_URL, FakePartner
from tests.roaming.test_tokens_receiver import token

pytestmark = pytest.mark.django_db

TOKEN = "token-of-the-hub"


def role(role: str, country_code: str, party_id: str) -> dict:
    return {"role": role, "country_code": country_code, "party_id": party_id, "business_details": {"name": party_id}}


@pytest.fixture
def hub():
    return Partner.objects.create(
        name="Hub",
        country_code="DE",
        party_id="HUB",
        roles=[role("HUB", "DE", "HUB"), role("EMSP", "NL", "EMS"), role("EMSP", "BE", "BEM")],
        status=Partner.Status.REGISTERED,
        our_token_hash=token_hash(TOKEN),
    )


def put_token(django_client, party: tuple[str, str], *, sender: tuple[str, str] | None, to=("DE", "VST")):
    headers = auth(TOKEN)
    if sender:
        headers |= {"HTTP_OCPI_FROM_COUNTRY_CODE": sender[0], "HTTP_OCPI_FROM_PARTY_ID": sender[1]}
    if to:
        headers |= {"HTTP_OCPI_TO_COUNTRY_CODE": to[0], "HTTP_OCPI_TO_PARTY_ID": to[1]}
    body = token(country_code=party[0], party_id=party[1], uid=f"{party[1]}-0001")
    url = f"/ocpi/2.2.1/tokens/{party[0]}/{party[1]}/{body['uid']}"
    return django_client.put(url, data=json.dumps(body), content_type="application/json", **headers)


def test_a_hub_writes_tokens_for_each_of_its_parties_from_that_party(client, hub):
    for party in (("NL", "EMS"), ("BE", "BEM")):
        response = put_token(client, party, sender=party)
        assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert sorted(IdTag.objects.values_list("issuer_party", flat=True)) == ["BE*BEM", "NL*EMS"]


def test_a_party_behind_the_hub_known_by_hub_client_info_writes_its_tokens(client, hub):
    """A hub lists only itself as a role (OCPI 2.2.1 credentials); the parties behind it come as ClientInfo."""
    assert put_token(client, ("FR", "FRE"), sender=("FR", "FRE")).status_code == 400  # not known yet
    HubClientInfo.objects.create(
        partner=hub, country_code="FR", party_id="FRE", role="EMSP", status="CONNECTED", last_updated=timezone.now()
    )
    response = put_token(client, ("FR", "FRE"), sender=("FR", "FRE"))
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert IdTag.objects.get().issuer_party == "FR*FRE"


def test_a_party_of_the_hub_cannot_write_another_partys_tokens(client, hub):
    response = put_token(client, ("BE", "BEM"), sender=("NL", "EMS"))
    assert (response.status_code, response.json()["status_code"]) == (403, 2001)
    assert "NL*EMS cannot write BE/BEM" in response.json()["status_message"]
    assert not IdTag.objects.exists()


def test_a_from_party_that_is_not_the_callers_is_refused(client, hub):
    response = put_token(client, ("NL", "EMS"), sender=("FR", "XYZ"))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert response.json()["status_message"] == "FR*XYZ is not one of your parties"
    assert RequestLog.objects.get().error == "FR*XYZ is not one of your parties"


def test_a_request_for_another_party_than_us_is_refused(client, hub):
    response = put_token(client, ("NL", "EMS"), sender=("NL", "EMS"), to=("DE", "OTH"))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert "We are not DE*OTH" in response.json()["status_message"]
    assert not IdTag.objects.exists()


def test_half_a_routing_header_is_refused(client, hub):
    response = client.get("/ocpi/2.2.1/locations", HTTP_OCPI_FROM_COUNTRY_CODE="NL", **auth(TOKEN))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)


def test_without_routing_headers_a_direct_partner_is_served_as_before(client, hub):
    response = put_token(client, ("NL", "EMS"), sender=None, to=None)
    assert response.json()["status_code"] == 1000


def test_routing_headers_are_read_case_insensitively(client, hub):
    response = put_token(client, ("NL", "EMS"), sender=("nl", "ems"), to=("de", "vst"))
    assert response.json()["status_code"] == 1000


@pytest.fixture
def fake():
    partner = FakePartner(tokens={"their-token"})
    client.session.mount(BASE, partner)
    yield partner
    client.session.adapters.pop(BASE, None)


def test_our_calls_name_the_party_they_are_for(fake, hub):
    client.call("GET", VERSIONS_URL, token="their-token", partner=hub, to_party=("BE", "BEM"))
    client.call("GET", VERSIONS_URL, token="their-token", partner=hub)
    client.call("GET", VERSIONS_URL, token="their-token")

    sent = [
        {name: r.headers.get(name) for name in ("OCPI-from-country-code", "OCPI-from-party-id",
                                                "OCPI-to-country-code", "OCPI-to-party-id")}
        for r in fake.received
    ]  # fmt: skip
    assert sent == [
        {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "VST", "OCPI-to-country-code": "BE",
         "OCPI-to-party-id": "BEM"},
        {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "VST", "OCPI-to-country-code": "DE",
         "OCPI-to-party-id": "HUB"},  # by default the partner's first role
        {"OCPI-from-country-code": "DE", "OCPI-from-party-id": "VST", "OCPI-to-country-code": None,
         "OCPI-to-party-id": None},
    ]  # fmt: skip
