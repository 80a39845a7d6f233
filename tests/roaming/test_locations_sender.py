"""The Locations module as a partner pulls it from us: pages, filters, single objects, the errors."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from roaming import schemas
from stations.models import ChargingStation, Connector, Evse, Location, RegistrationStatus
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/locations"
BASE = "http://127.0.0.1:8000"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def site(number: int, *, at: datetime, stations: int = 1, registration=RegistrationStatus.ACCEPTED) -> Location:
    """A location whose every row last changed at `at`, with `stations` stations of two EVSEs each."""
    location = Location.objects.create(name=f"Site {number}", latitude=Decimal("52.5"), longitude=Decimal("13.4"))
    for s in range(stations):
        station = ChargingStation.objects.create(
            charge_point_id=f"CP-{number}-{s}", location=location, registration_status=registration
        )
        for n in (1, 2):
            Connector.objects.create(evse=Evse.objects.create(station=station, number=n), number=1)
    ChargingStation.objects.filter(location=location).update(created_at=at)
    Evse.objects.filter(station__location=location).update(updated_at=at)
    Connector.objects.filter(evse__station__location=location).update(updated_at=at)
    Location.objects.filter(pk=location.pk).update(updated_at=at)
    return location


@pytest.fixture
def sites(db):
    """Five sites with accepted stations changed an hour apart, one with only a pending station."""
    found = [site(n, at=T0 + timedelta(hours=n)) for n in range(5)]
    site(99, at=T0, registration=RegistrationStatus.PENDING)
    return found


def ids(response) -> list[str]:
    return [location["id"] for location in response.json()["data"]]


def next_link(response) -> str | None:
    link = response.get("Link")
    if link is None:
        return None
    url, rel = link.split(";")
    assert rel.strip() == 'rel="next"'
    return url.strip()[1:-1]


def test_the_list_in_pages_follows_the_link_and_counts_everything(client, registered, sites):
    url, pages, seen = f"{URL}?limit=2", [], []
    while url:
        response = client.get(url.removeprefix(BASE), **registered)
        assert response.status_code == 200 and response.json()["status_code"] == 1000
        assert (response["X-Total-Count"], response["X-Limit"]) == ("5", "2")
        for location in response.json()["data"]:
            assert_ocpi(schemas.LOCATION, location)
        pages.append(ids(response))
        seen += ids(response)
        url = next_link(response)
        assert url is None or url.startswith(f"{BASE}{URL}?")
    assert pages == [[str(s.pk) for s in sites[i : i + 2]] for i in (0, 2, 4)]
    assert len(set(seen)) == 5  # the pending station's site is nowhere


def test_limit_is_capped_by_the_setting_and_told_in_x_limit(client, registered, sites, settings):
    settings.OCPI_PAGE_LIMIT = 3
    response = client.get(f"{URL}?limit=1000", **registered)
    assert response["X-Limit"] == "3" and len(ids(response)) == 3
    assert parse_qs(urlsplit(next_link(response)).query) == {"offset": ["3"], "limit": ["3"]}
    default = client.get(URL, **registered)
    assert default["X-Limit"] == "3" and len(ids(default)) == 3


def test_date_from_and_date_to_bound_last_updated_and_stay_in_the_link(client, registered, sites):
    # Sites 1, 2, 3 changed at 09:00, 10:00, 11:00: date_from inclusive, date_to exclusive.
    query = "date_from=2025-03-01T09:00:00Z&date_to=2025-03-01T12:00:00Z"
    response = client.get(f"{URL}?{query}&limit=2", **registered)
    assert ids(response) == [str(sites[1].pk), str(sites[2].pk)] and response["X-Total-Count"] == "3"
    params = parse_qs(urlsplit(next_link(response)).query)
    assert params == {
        "date_from": ["2025-03-01T09:00:00Z"],
        "date_to": ["2025-03-01T12:00:00Z"],
        "offset": ["2"],
        "limit": ["2"],
    }
    last = client.get(next_link(response).removeprefix(BASE), **registered)
    assert ids(last) == [str(sites[3].pk)] and last.get("Link") is None


def test_a_change_anywhere_under_a_location_makes_it_new_for_date_from(client, registered, sites):
    later = "date_from=2025-03-02T00:00:00Z"
    assert ids(client.get(f"{URL}?{later}", **registered)) == []
    connector = Connector.objects.filter(evse__station__location=sites[0]).first()
    connector.max_power_w = 11_000
    connector.save()  # stamps updated_at now
    Connector.objects.filter(evse__station__location=sites[1]).update(status_updated_at=datetime.now(UTC))
    assert ids(client.get(f"{URL}?{later}", **registered)) == [str(sites[0].pk), str(sites[1].pk)]
    # ... and date_to excludes them from what came before that day.
    before = ids(client.get(f"{URL}?date_to=2025-03-02T00:00:00Z", **registered))
    assert before == [str(s.pk) for s in sites[2:]]


def test_one_location_one_evse_one_connector(client, registered, sites):
    location = sites[2]
    evse = Evse.objects.filter(station__location=location).order_by("pk").last()
    data = client.get(f"{URL}/{location.pk}", **registered).json()["data"]
    assert_ocpi(schemas.LOCATION, data)
    assert data["id"] == str(location.pk) and len(data["evses"]) == 2
    response = client.get(f"{URL}/{location.pk}/{evse.pk}", **registered)
    assert response.status_code == 200
    assert_ocpi(schemas.EVSE, response.json()["data"])
    assert response.json()["data"]["uid"] == str(evse.pk)
    assert response.json()["data"]["evse_id"] == f"DE*VST*E{evse.station_id:05d}*2"
    connector = client.get(f"{URL}/{location.pk}/{evse.pk}/1", **registered).json()["data"]
    assert_ocpi(schemas.CONNECTOR, connector)
    assert connector["id"] == "1"


def test_connectors_carry_the_tariff_every_driver_pays(client, registered, sites):
    tariff = Tariff.objects.create(tariff_id="AC-STD")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.39"), step_size=1)
    TariffAssignment.objects.create(tariff=tariff, location=sites[0])
    fleet = Tariff.objects.create(tariff_id="FLEET")
    group = Group.objects.create(name="Fleet")
    TariffAssignment.objects.create(tariff=fleet, location=sites[0], group=group)  # a contract price: not roaming's
    data = client.get(f"{URL}/{sites[0].pk}", **registered).json()["data"]
    assert {tuple(c.get("tariff_ids", ())) for e in data["evses"] for c in e["connectors"]} == {("AC-STD",)}
    other = client.get(f"{URL}/{sites[1].pk}", **registered).json()["data"]
    assert all("tariff_ids" not in c for e in other["evses"] for c in e["connectors"])


@pytest.mark.parametrize(
    "path",
    ["/999999", "/abc", "/{pending}", "/{location}/999999", "/{location}/{other_evse}", "/{location}/{evse}/9"],
)
def test_an_unknown_object_is_2003_with_404(client, registered, sites, path):
    pending = Location.objects.get(name="Site 99")
    evse = Evse.objects.filter(station__location=sites[0]).first()
    other_evse = Evse.objects.filter(station__location=sites[1]).first()
    path = path.format(pending=pending.pk, location=sites[0].pk, evse=evse.pk, other_evse=other_evse.pk)
    response = client.get(f"{URL}{path}", **registered)
    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 2003 and body["data"] is None and body["status_message"]


@pytest.mark.parametrize(
    "query", ["offset=-1", "offset=x", "limit=0", "limit=ten", "date_from=yesterday", "date_to=2025-13-01T00:00:00Z"]
)
def test_malformed_parameters_are_2001(client, registered, sites, query):
    response = client.get(f"{URL}?{query}", **registered)
    body = response.json()
    assert body["status_code"] == 2001 and body["data"] is None, body


@pytest.mark.parametrize("path", [URL, f"{URL}/1", f"{URL}/1/1", f"{URL}/1/1/1"])
def test_without_our_token_c_it_is_401(client, pending_partner, path):
    _, token_a = pending_partner
    for headers in ({}, auth("nobody"), auth(token_a)):  # token A only opens versions and credentials
        response = client.get(path, **headers)
        assert response.status_code == 401 and response.json()["status_code"] == 2000


def test_only_get(client, registered, sites):
    response = client.post(URL, **registered)
    assert response.status_code == 405 and response.json()["status_code"] == 2000


def test_a_page_costs_the_same_queries_however_many_locations(client, registered, django_assert_max_num_queries):
    for n in range(30):
        site(n, at=T0, stations=2)
    TariffAssignment.objects.create(tariff=Tariff.objects.create(tariff_id="T"), location=Location.objects.first())
    # The token, the count, the page, its stations, EVSEs, connectors, the tariffs (connectors, assignments,
    # elements, components), the log row: a constant, not per location.
    with django_assert_max_num_queries(11):
        response = client.get(f"{URL}?limit=30", **registered)
    assert len(ids(response)) == 30


def test_version_details_list_both_sender_modules(client, registered):
    endpoints = client.get("/ocpi/2.2.1", **registered).json()["data"]["endpoints"]
    assert {"identifier": "locations", "role": "SENDER", "url": f"{BASE}{URL}"} in endpoints
    assert {"identifier": "tariffs", "role": "SENDER", "url": f"{BASE}/ocpi/2.2.1/tariffs"} in endpoints
