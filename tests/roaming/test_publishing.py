"""Which locations each partner sees is the operator's choice: every location by default, or the chosen
ones; pulls, object GETs and pushes honour it, and changing it tells the partner what it gained (PUT) and
lost (its EVSEs REMOVED)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from roaming import schemas
from roaming.models import LocationPublishing, Partner
from roaming.secrets import token_hash
from stations.models import Evse, Location
from stations.services.connections import provision_station
from stations.services.status import StatusReport, record_status
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi
from tests.roaming.receivers import receivers  # noqa: F401 (fixture)
from tests.roaming.test_push_queue import partner

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/locations"


def depot(name: str, charge_point_id: str) -> tuple[Location, object]:
    location = Location.objects.create(name=name, latitude=52.5, longitude=13.4)
    station = provision_station(
        charge_point_id=charge_point_id, password="a-long-password", location=location, evse_count=2
    )
    return location, station


@pytest.fixture
def two_sites(db):
    return depot("North", "CP-N"), depot("South", "CP-S")


def only(partner: Partner, *locations: Location) -> LocationPublishing:
    choice = LocationPublishing.objects.create(partner=partner, all_locations=False)
    choice.locations.set(locations)
    return choice


def caller(token: str) -> Partner:
    return Partner.objects.create(name=token, status=Partner.Status.REGISTERED, our_token_hash=token_hash(token))


def test_a_partner_sees_every_location_unless_the_operator_chose_some(client, two_sites):
    (north, _), (south, _) = two_sites
    caller("sees-all")
    only(caller("sees-north"), north)

    everything = client.get(URL, **auth("sees-all")).json()["data"]
    chosen = client.get(URL, **auth("sees-north"))

    assert [loc["id"] for loc in everything] == [str(north.pk), str(south.pk)]
    assert [loc["id"] for loc in chosen.json()["data"]] == [str(north.pk)] and chosen["X-Total-Count"] == "1"
    assert_ocpi(schemas.LOCATION, chosen.json()["data"][0])


def test_an_unpublished_location_is_unknown_to_that_partner(client, two_sites):
    (north, _), (south, station) = two_sites
    only(caller("sees-north"), north)
    evse = station.evses.get(number=1)

    for path in (f"{URL}/{south.pk}", f"{URL}/{south.pk}/{evse.pk}", f"{URL}/{south.pk}/{evse.pk}/1"):
        response = client.get(path, **auth("sees-north"))
        assert (response.status_code, response.json()["status_code"]) == (404, 2003), path
    assert client.get(f"{URL}/{north.pk}", **auth("sees-north")).json()["status_code"] == 1000


def test_pushes_go_only_to_the_partners_the_location_is_published_to(
    two_sites, receivers, django_capture_on_commit_callbacks, eager_tasks
):
    (north, _), (south, station) = two_sites
    everywhere, northern = partner("All"), partner("North only")
    only(northern, north)
    station.connection_channel, station.connected_at = "test-channel", timezone.now()
    station.save()

    with django_capture_on_commit_callbacks(execute=True):
        record_status(
            station_id=station.pk,
            evse_number=1,
            connector_number=1,
            report=StatusReport(status="Charging"),
            timestamp=timezone.now(),
        )

    assert [p.partner for p in everywhere.pushes.all()] == [everywhere]
    assert not northern.pushes.exists()
    assert [path for _, path, _ in receivers.calls("locations")] == [
        f"DE/VST/{south.pk}/{station.evses.get(number=1).pk}"
    ]


def change_form(partner: Partner, choice: LocationPublishing | None, *, all_locations: bool, locations=()) -> dict:
    data = {
        "name": partner.name,
        "publishing-TOTAL_FORMS": "1",
        "publishing-INITIAL_FORMS": "1" if choice else "0",
        "publishing-MIN_NUM_FORMS": "0",
        "publishing-MAX_NUM_FORMS": "1",
        "publishing-0-partner": str(partner.pk),
        "publishing-0-locations": [str(location.pk) for location in locations],
        "hub_clients-TOTAL_FORMS": "0",
        "hub_clients-INITIAL_FORMS": "0",
        "hub_clients-MIN_NUM_FORMS": "0",
        "hub_clients-MAX_NUM_FORMS": "1000",
    }
    if all_locations:
        data["publishing-0-all_locations"] = "on"
    if choice:
        data["publishing-0-id"] = str(choice.pk)
    return data


def test_the_operator_changes_the_choice_in_the_admin_and_the_partner_is_told(
    admin_client, two_sites, receivers, django_capture_on_commit_callbacks, eager_tasks
):
    (north, _), (south, station) = two_sites
    emsp = partner("eMSP")
    url = reverse("admin:roaming_partner_change", args=[emsp.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, change_form(emsp, None, all_locations=False, locations=[north]))
    assert response.status_code == 302, response.content.decode()[:3000]
    south_evses = station.evses.order_by("pk").values_list("pk", flat=True)
    calls = receivers.calls("locations")
    assert [(m, p) for m, p, _ in calls] == [("PATCH", f"DE/VST/{south.pk}/{pk}") for pk in south_evses]
    assert all(body["status"] == "REMOVED" and body["last_updated"].endswith("Z") for _, _, body in calls)
    for _, _, body in calls:
        assert_ocpi(schemas.EVSE["properties"]["status"], body["status"])

    receivers.received.clear()
    choice = LocationPublishing.objects.get(partner=emsp)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, change_form(emsp, choice, all_locations=False, locations=[south]))
    calls = receivers.calls("locations")
    assert [(m, p) for m, p, _ in calls[:1]] == [("PUT", f"DE/VST/{south.pk}")]
    assert_ocpi(schemas.LOCATION, calls[0][2])
    north_evses = Evse.objects.filter(station__location=north).order_by("pk").values_list("pk", flat=True)
    assert [(m, p) for m, p, _ in calls[1:]] == [("PATCH", f"DE/VST/{north.pk}/{pk}") for pk in north_evses]
