"""Transport and format: the routing headers on our answers and calls (functional modules carry them, the
configuration modules SHALL NOT), and what a path that is no endpoint of ours answers."""

import pytest

from roaming.models import RequestLog
from roaming.services import registration
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import CREDENTIALS_URL, DETAILS_URL, VERSIONS_URL
from tests.roaming.test_hubs import TOKEN, hub  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")


def routing(headers) -> dict[str, str | None]:
    return {name: headers.get(name) for name in ROUTING}


def test_a_functional_modules_answer_is_from_us_to_the_party_that_asked(client, hub):
    asked = client.get(
        "/ocpi/2.2.1/locations", HTTP_OCPI_FROM_COUNTRY_CODE="BE", HTTP_OCPI_FROM_PARTY_ID="BEM", **auth(TOKEN)
    )
    assert routing(asked) == dict(zip(ROUTING, ("DE", "VST", "BE", "BEM"), strict=True))
    unsaid = client.get("/ocpi/2.2.1/tariffs", **auth(TOKEN))
    assert routing(unsaid) == dict(zip(ROUTING, ("DE", "VST", "DE", "HUB"), strict=True))  # its first role


@pytest.mark.parametrize(
    "path", ["/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials", "/ocpi/2.2.1/hubclientinfo"]
)
def test_a_configuration_modules_answer_carries_no_routing_headers(client, hub, path):
    response = client.get(path, **auth(TOKEN))
    assert response.json()["status_code"] in (1000, 2000)
    assert routing(response) == dict.fromkeys(ROUTING)


def test_our_calls_to_the_configuration_modules_carry_no_routing_headers(emsp):
    """Registering, rotating and unregistering: versions, version details and credentials, every time."""
    partner = registration.register_with_partner(name="Example", versions_url=VERSIONS_URL, token_a="token-b")
    emsp.tokens.add(emsp.issued_token)
    registration.rotate_credentials(partner=partner)
    registration.unregister_at_partner(partner=partner)
    configuration = [r for r in emsp.received if r.url in (VERSIONS_URL, DETAILS_URL, CREDENTIALS_URL)]
    assert [r.method for r in configuration] == ["GET", "GET", "POST", "PUT", "DELETE"]
    assert [routing(r.headers) for r in configuration] == [dict.fromkeys(ROUTING)] * 5


@pytest.mark.parametrize(
    "path",
    [
        "/ocpi/2.2.1/nosuchmodule",
        "/ocpi/2.2.1/sessions/1/charging_preferences",
        "/ocpi/3.0/locations",
        "/ocpi/2.2.1/nosuchmodule/",
    ],
)
def test_a_path_that_is_no_endpoint_is_404_in_the_envelope(client, hub, path):
    response = client.get(path, **auth(TOKEN))
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["status_code"], body["data"]) == (2000, None) and path in body["status_message"]
    assert RequestLog.objects.get().http_status == 404


def test_an_unknown_path_is_still_behind_the_token(client, db):
    response = client.get("/ocpi/2.2.1/nosuchmodule")
    assert (response.status_code, response.json()["status_code"]) == (401, 2000)


def test_a_trailing_slash_answers_as_the_endpoint_does(client, hub):
    plain = client.get("/ocpi/2.2.1/locations", **auth(TOKEN))
    slashed = client.get("/ocpi/2.2.1/locations/", **auth(TOKEN))
    assert (slashed.status_code, slashed.json()["data"]) == (plain.status_code, plain.json()["data"]) == (200, [])
    assert RequestLog.objects.count() == 2  # the slashed request is logged once, by the view that served it
