"""The Tariffs module as a partner pulls it from us: the published tariffs in pages, Decimal as JSON numbers."""

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from roaming import schemas
from roaming.envelope import ocpi_response
from stations.models import Location
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/tariffs"
BASE = "http://127.0.0.1:8000"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def tariff(tariff_id: str, *, at: datetime, location: Location, group: Group | None = None) -> Tariff:
    made = Tariff.objects.create(tariff_id=tariff_id)
    element = TariffElement.objects.create(tariff=made, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.3950"), vat=Decimal("19.0"))
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("1.00"), step_size=1)
    TariffAssignment.objects.create(tariff=made, location=location, group=group)
    Tariff.objects.filter(pk=made.pk).update(updated_at=at)  # auto_now ignores what we pass
    return made


@pytest.fixture
def tariffs(db):
    """Four published tariffs changed an hour apart, a fleet's contract price and one assigned nowhere."""
    site = Location.objects.create(name="Site", latitude=52.5, longitude=13.4)
    published = [tariff(f"T{n}", at=T0 + timedelta(hours=n), location=site) for n in range(4)]
    tariff("FLEET", at=T0, location=site, group=Group.objects.create(name="Fleet"))
    Tariff.objects.create(tariff_id="DRAFT")
    return published


def ids(response) -> list[str]:
    return [t["id"] for t in response.json()["data"]]


def next_link(response) -> str | None:
    link = response.get("Link")
    return link and link.split(";")[0].strip()[1:-1]


def test_the_published_tariffs_in_pages(client, registered, tariffs):
    url, pages = f"{URL}?limit=3", []
    while url:
        response = client.get(url.removeprefix(BASE), **registered)
        assert response.status_code == 200 and response.json()["status_code"] == 1000
        assert (response["X-Total-Count"], response["X-Limit"]) == ("4", "3")
        for data in response.json()["data"]:
            assert_ocpi(schemas.TARIFF, data)
        pages.append(ids(response))
        url = next_link(response)
    assert pages == [["T0", "T1", "T2"], ["T3"]]  # neither the fleet's contract price nor the unassigned


def test_prices_are_json_numbers_with_their_digits(client, registered, tariffs):
    raw = json.loads(client.get(f"{URL}?limit=1", **registered).content)
    assert raw["data"][0]["elements"][0]["price_components"] == [
        {"type": "ENERGY", "price": 0.395, "vat": 19, "step_size": 1},
        {"type": "FLAT", "price": 1, "step_size": 1},
    ]


def test_date_from_and_date_to_in_the_list_and_its_link(client, registered, tariffs):
    query = "date_from=2025-03-01T09:00:00Z&date_to=2025-03-01T11:00:00%2B00:00"
    response = client.get(f"{URL}?{query}&limit=1", **registered)
    assert ids(response) == ["T1"] and response["X-Total-Count"] == "2"
    assert parse_qs(urlsplit(next_link(response)).query) == {
        "date_from": ["2025-03-01T09:00:00Z"],
        "date_to": ["2025-03-01T11:00:00+00:00"],
        "offset": ["1"],
        "limit": ["1"],
    }
    assert ids(client.get(next_link(response).removeprefix(BASE), **registered)) == ["T2"]


def test_the_demo_tariff(client, registered):
    call_command("seed_demo", stdout=io.StringIO())
    response = client.get(URL, **registered)
    assert ids(response) == ["DEMO-AC"]
    assert_ocpi(schemas.TARIFF, response.json()["data"][0])


@pytest.mark.parametrize("query", ["offset=-3", "limit=-1", "limit=1.5", "date_from=2025-03-01T25:00:00Z"])
def test_malformed_parameters_are_2001(client, registered, tariffs, query):
    assert client.get(f"{URL}?{query}", **registered).json()["status_code"] == 2001


def test_without_our_token_c_it_is_401(client, pending_partner):
    _, token_a = pending_partner
    for headers in ({}, auth("nobody"), auth(token_a)):
        assert client.get(URL, **headers).status_code == 401


def test_a_page_costs_the_same_queries_however_many_tariffs(client, registered, django_assert_max_num_queries):
    site = Location.objects.create(name="Site", latitude=52.5, longitude=13.4)
    for n in range(25):
        tariff(f"T{n:02d}", at=T0, location=site)
    with django_assert_max_num_queries(6):  # the token, the count, the page, elements, components, the log row
        assert len(ids(client.get(URL, **registered))) == 25


@pytest.mark.parametrize(
    "value, wire",
    [
        (Decimal("0.3500"), "0.35"),
        (Decimal("12345678.1234"), "12345678.1234"),  # money's 12 digits, 4 decimals: exact
        (Decimal("19"), "19"),
        (Decimal("20.00"), "20"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("-1.25"), "-1.25"),
    ],
)
def test_the_envelope_writes_a_decimal_as_a_number_of_the_same_digits(value, wire):
    content = ocpi_response({"price": value}).content.decode()
    assert f'"data": {{"price": {wire}}},' in content
    assert Decimal(wire) == value


def test_the_envelope_refuses_a_decimal_it_cannot_write_exactly():
    with pytest.raises(ValueError):
        ocpi_response({"price": Decimal("0.12345678901234567")})
