"""The HubClientInfo receiver: a hub PUTs the ClientInfo of the parties behind it, reads it back, and the
operators see it on the partner's page; nobody but a hub may write it."""

import json

import pytest
from django.urls import reverse

from roaming import schemas
from roaming.models import HubClientInfo, Partner
from roaming.secrets import token_hash
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/hubclientinfo/NL/EMS"


def info(**changes) -> dict:
    return {
        "party_id": "EMS",
        "country_code": "NL",
        "role": "EMSP",
        "status": "CONNECTED",
        "last_updated": "2026-12-01T10:00:00Z",
        **changes,
    }


def partner(token: str, role: str) -> Partner:
    roles = [{"role": role, "country_code": "DE", "party_id": "HUB", "business_details": {"name": "Hub"}}]
    return Partner.objects.create(
        name=token, roles=roles, status=Partner.Status.REGISTERED, our_token_hash=token_hash(token)
    )


def put(client, body, *, token="hub", url=URL):
    return client.put(url, data=json.dumps(body), content_type="application/json", **auth(token))


def test_a_hub_puts_a_client_info_and_reads_it_back(client):
    hub = partner("hub", "HUB")
    assert put(client, info()).json()["status_code"] == 1000
    assert put(client, info(status="SUSPENDED", last_updated="2026-12-02T10:00:00Z")).json()["status_code"] == 1000

    got = client.get(URL, **auth("hub"))
    assert (got.status_code, got.json()["status_code"]) == (200, 1000)
    assert_ocpi(schemas.CLIENT_INFO, got.json()["data"])
    assert got.json()["data"] == info(status="SUSPENDED", last_updated="2026-12-02T10:00:00Z")
    stored = HubClientInfo.objects.get()
    assert (stored.partner, stored.country_code, stored.party_id, stored.role, stored.status) == (
        hub, "NL", "EMS", "EMSP", "SUSPENDED",
    )  # fmt: skip


def test_only_a_hub_writes_client_info(client):
    partner("emsp", "EMSP")
    response = put(client, info(), token="emsp")
    assert (response.status_code, response.json()["status_code"]) == (403, 2000)
    assert not HubClientInfo.objects.exists()


@pytest.mark.parametrize(
    "body",
    [info(party_id="OTH"), info(role="DRIVER"), info(status="ONLINE"), info(last_updated="yesterday")],
)
def test_a_client_info_that_does_not_fit_is_2001(client, body):
    partner("hub", "HUB")
    response = put(client, body)
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert not HubClientInfo.objects.exists()


def test_an_unknown_party_and_other_hubs_parties_are_not_found(client):
    partner("hub", "HUB")
    partner("other-hub", "HUB")
    put(client, info(), token="other-hub")
    response = client.get(URL, **auth("hub"))
    assert (response.status_code, response.json()["status_code"]) == (404, 2000)


def test_our_version_details_list_the_receiver(client):
    partner("hub", "HUB")
    endpoints = client.get("/ocpi/2.2.1", **auth("hub")).json()["data"]["endpoints"]
    assert {
        "identifier": "hubclientinfo",
        "role": "RECEIVER",
        "url": "http://127.0.0.1:8000/ocpi/2.2.1/hubclientinfo",
    } in endpoints


def test_the_partner_page_shows_the_parties_behind_the_hub(client, admin_client):
    hub = partner("hub", "HUB")
    put(client, info())
    page = admin_client.get(reverse("admin:roaming_partner_change", args=[hub.pk])).content.decode()
    assert "parties behind this hub" in page.lower()
    assert all(value in page for value in ("EMS", "EMSP", "CONNECTED"))
