"""The live map: its page, the markers-in-view endpoint (stations and clusters with their states), the popup."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from sessions.models import AuthorizationStatus, Transaction
from stations.models import ChargingStation, Connector, ConnectorType, Location, RegistrationStatus
from stations.services.connections import provision_station
from tests.roles import define_roles

BERLIN = "13.0,52.3,13.8,52.7"
GERMANY = "5.9,47.3,15.0,55.0"


@pytest.fixture(autouse=True)
def roles(db):
    define_roles()


@pytest.fixture
def viewer(client, django_user_model):
    user = django_user_model.objects.create_user("vera", "vera@example.com", "a-password-of-staff", is_staff=True)
    user.groups.add(Group.objects.get(name="viewer"))
    client.force_login(user)
    return client


def located_station(
    charge_point_id: str,
    latitude: float,
    longitude: float,
    statuses: list[str],
    *,
    connected: bool = True,
    station_status: str = "",
    registration: str = RegistrationStatus.ACCEPTED,
) -> ChargingStation:
    """A station on a site of its own, one EVSE per connector status given, online or not."""
    location = Location.objects.create(name=f"Site {charge_point_id}", latitude=latitude, longitude=longitude)
    station = provision_station(
        charge_point_id=charge_point_id, password="p" * 16, location=location, evse_count=len(statuses)
    )
    for connector, status in zip(Connector.objects.filter(evse__station=station).order_by("evse__number"), statuses):
        connector.status = status
        connector.save()
    ChargingStation.objects.filter(pk=station.pk).update(
        connection_channel="specific.test!1" if connected else "",
        status=station_status,
        registration_status=registration,
    )
    return station


def data(client, bbox: str, zoom: int) -> dict:
    response = client.get(reverse("dashboard:map-data"), {"bbox": bbox, "zoom": zoom})
    assert response.status_code == 200, response.content
    return response.json()


# ------------------------------------------------------------------ states, one station at a time


STATE_CASES = [
    ("available", ["Available", "Available"], {}),
    ("available", ["Available", "Unavailable"], {}),  # the Unavailable one is not usable: left out
    ("charging", ["Charging", "SuspendedEV"], {}),
    ("charging", ["Preparing"], {}),
    ("charging", ["Finishing", "Reserved"], {}),
    ("partly", ["Charging", "Available"], {}),
    ("faulted", ["Faulted", "Available"], {}),
    ("faulted", ["Available"], {"station_status": "Faulted"}),
    ("offline", ["Available", "Available"], {"connected": False}),
    ("offline", ["Faulted"], {"connected": False}),  # nobody knows what it is now
    ("offline", ["Available"], {"station_status": "Unavailable"}),
    ("offline", [""], {}),  # online, nothing reported yet
]


@pytest.mark.parametrize(("state", "statuses", "extra"), STATE_CASES)
def test_a_station_in_view_has_the_state_of_its_connectors_and_socket(viewer, state, statuses, extra):
    located_station("CP-1", 52.52, 13.40, statuses, **extra)

    answer = data(viewer, "13.39,52.51,13.41,52.53", 16)

    assert answer["clusters"] == []
    assert [(s["charge_point_id"], s["state"]) for s in answer["stations"]] == [("CP-1", state)]
    assert answer["states"][state] == 1 and sum(answer["states"].values()) == 1


def test_only_stations_inside_the_box_are_returned(viewer):
    inside = located_station("IN-1", 52.52, 13.40, ["Available"])
    located_station("OUT-1", 48.14, 11.58, ["Available"])  # Munich
    located_station("OUT-2", 52.52, 13.50, ["Available"])  # just east of the box
    ChargingStation.objects.create(charge_point_id="NOWHERE")  # no location: never on the map

    answer = data(viewer, "13.35,52.50,13.45,52.55", 15)

    assert answer["stations"] == [
        {"id": inside.pk, "charge_point_id": "IN-1", "lat": 52.52, "lon": 13.4, "state": "available"}
    ]


def test_pending_stations_are_shown_and_rejected_ones_are_not(viewer):
    located_station("PENDING-1", 52.52, 13.40, ["Available"], registration=RegistrationStatus.PENDING)
    located_station("REJECTED-1", 52.521, 13.401, ["Available"], registration=RegistrationStatus.REJECTED)

    answer = data(viewer, "13.35,52.50,13.45,52.55", 16)

    assert [s["charge_point_id"] for s in answer["stations"]] == ["PENDING-1"]


# ------------------------------------------------------------------ clusters


def test_at_country_zoom_nearby_stations_are_clustered_with_counts_per_state(viewer):
    berlin = [
        ("B-AVAILABLE", ["Available"], {}),
        ("B-CHARGING", ["Charging"], {}),
        ("B-PARTLY", ["Charging", "Available"], {}),
        ("B-FAULTED", ["Faulted"], {}),
        ("B-OFFLINE", ["Available"], {"connected": False}),
        ("B-AVAILABLE-2", ["Available"], {}),
    ]
    for number, (cpid, statuses, extra) in enumerate(berlin):
        located_station(cpid, 52.50 + number * 0.01, 13.40 + number * 0.01, statuses, **extra)
    located_station("MUNICH", 48.14, 11.58, ["Charging"])  # alone in its cell: drawn as itself

    answer = data(viewer, GERMANY, 6)

    (cluster,) = answer["clusters"]
    assert cluster["count"] == 6
    assert cluster["states"] == {"available": 2, "charging": 1, "partly": 1, "faulted": 1, "offline": 1}
    assert cluster["worst"] == "faulted"
    assert 52.50 < cluster["lat"] < 52.56 and 13.40 < cluster["lon"] < 13.46
    assert [(s["charge_point_id"], s["state"]) for s in answer["stations"]] == [("MUNICH", "charging")]
    assert answer["states"] == {"available": 2, "charging": 2, "partly": 1, "faulted": 1, "offline": 1}
    assert sum(c["count"] for c in answer["clusters"]) + len(answer["stations"]) == 7


def test_a_cluster_is_coloured_by_its_worst_station(viewer):
    located_station("A", 52.50, 13.40, ["Available"])
    located_station("B", 52.51, 13.41, ["Charging"])
    located_station("C", 52.52, 13.42, ["Available"], connected=False)

    (cluster,) = data(viewer, GERMANY, 6)["clusters"]

    assert cluster["worst"] == "offline"


def test_at_street_zoom_every_station_is_its_own_marker(viewer):
    for number in range(3):
        located_station(f"S-{number}", 52.5200 + number * 0.0001, 13.4000, ["Available"])

    answer = data(viewer, "13.39,52.51,13.41,52.53", 17)

    assert answer["clusters"] == []
    assert sorted(s["charge_point_id"] for s in answer["stations"]) == ["S-0", "S-1", "S-2"]


def test_too_many_stations_at_street_zoom_are_answered_in_clusters(viewer, monkeypatch):
    monkeypatch.setattr("dashboard.selectors.live_map.MAX_POINTS", 2)
    for number in range(3):
        located_station(f"S-{number}", 52.5200 + number * 0.00001, 13.4000, ["Available"])

    answer = data(viewer, "13.39,52.51,13.41,52.53", 17)

    assert answer["stations"] == []
    assert [c["count"] for c in answer["clusters"]] == [3]


def test_a_world_asked_at_town_zoom_is_gridded_coarser_within_the_cap(viewer):
    for number in range(5):
        located_station(f"W-{number}", -40 + number * 20, -150 + number * 70, ["Available"])

    answer = data(viewer, "-180,-85,180,85", 14)

    assert answer["zoom"] < 14
    assert len(answer["stations"]) + len(answer["clusters"]) <= 1_000
    assert sorted(s["charge_point_id"] for s in answer["stations"]) == [f"W-{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("bbox", "zoom"),
    [
        ("", "6"),
        ("1,2,3", "6"),
        ("a,b,c,d", "6"),
        ("5.9,47.3,15.0,nan", "6"),
        ("-181,47,15,55", "6"),
        ("5.9,-91,15,55", "6"),
        (GERMANY, ""),
        (GERMANY, "-1"),
        (GERMANY, "21"),
        (GERMANY, "6.5"),
    ],
)
def test_a_bad_box_or_zoom_is_a_400_with_a_detail(viewer, bbox, zoom):
    response = viewer.get(reverse("dashboard:map-data"), {"bbox": bbox, "zoom": zoom})

    assert response.status_code == 400
    assert response.json()["detail"]


# ------------------------------------------------------------------ popup


def test_the_popup_lists_connectors_the_running_session_and_links_the_station_page(viewer):
    station = located_station("CP-POP", 52.52, 13.40, ["Charging", "Faulted"])
    charging, faulted = Connector.objects.filter(evse__station=station).order_by("evse__number")
    faulted.error_code, faulted.vendor_error_code = "GroundFailure", "E-4711"
    faulted.standard, faulted.max_power_w = ConnectorType.TYPE2_CABLE, 150_000
    faulted.save()
    session = Transaction.objects.create(
        station=station,
        connector=charging,
        id_tag_value="CARD-1",
        authorization_status=AuthorizationStatus.ACCEPTED,
        meter_start_wh=0,
        started_at=timezone.now(),
        last_power_w=7_400,
    )

    response = viewer.get(reverse("dashboard:map-popup", args=[station.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("dashboard:station", args=[station.pk])}"' in html
    assert "CP-POP" in html and "Site CP-POP" in html
    assert 'data-state="faulted"' in html
    rows = re.findall(r"<tr data-evse=.*?</tr>", html, re.S)
    assert len(rows) == 2
    assert "Type 2" in rows[0] and "22 kW" in rows[0] and "Charging" in rows[0] and "7.4 kW" in rows[0]
    assert reverse("dashboard:session", args=[session.pk]) in rows[0]
    assert "CCS2" in rows[1] and "150 kW" in rows[1] and "Faulted" in rows[1]
    assert "GroundFailure" in rows[1] and "E-4711" in rows[1]
    assert "Charging now: <b>7.4 kW</b>" in html


def test_the_popup_says_a_station_awaits_acceptance(viewer):
    station = located_station("CP-NEW", 52.52, 13.40, ["Available"], registration=RegistrationStatus.PENDING)

    html = viewer.get(reverse("dashboard:map-popup", args=[station.pk])).content.decode()

    assert "Registration: Pending" in html and 'data-state="available"' in html


def test_the_popup_of_an_unknown_station_is_404(viewer):
    assert viewer.get(reverse("dashboard:map-popup", args=[999])).status_code == 404


# ------------------------------------------------------------------ the page


def test_the_page_loads_leaflet_from_our_static_files_and_the_tile_setting(viewer):
    located_station("CP-1", 52.52, 13.40, ["Available"])

    html = viewer.get(reverse("dashboard:map")).content.decode()

    assert '<link rel="stylesheet" href="/static/leaflet/leaflet.css"' in html
    assert re.search(r'<script src="/static/leaflet/leaflet(-src)?\.js"></script>', html)
    assert '<script src="/static/dashboard/js/map.js"></script>' in html
    assert not re.findall(r'<(?:script|link)[^>]*(?:src|href)="(?:https?:)?//', html)  # nothing from a CDN
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "callback: window.VoltstackMap.init" in html
    assert f'data-url="{reverse("dashboard:map-data")}"' in html
    # It opens on the network's stations (with a margin), not on the default centre.
    assert '"extent": [[52.51, 13.39], [52.53, 13.41]]' in html and '"center": null' in html


@override_settings(LEAFLET_CONFIG={"TILES": [], "DEFAULT_CENTER": (51.0, 10.0), "DEFAULT_ZOOM": 6})
def test_without_a_tile_url_the_page_draws_no_tiles_and_opens_on_the_default_centre(viewer):
    html = viewer.get(reverse("dashboard:map")).content.decode()

    assert '"layers": []' in html
    assert "openstreetmap" not in html
    assert '"center": [51.0, 10.0]' in html and '"zoom": 6' in html


@pytest.mark.parametrize("name", ["map", "map-data"])
def test_anonymous_visitors_are_sent_to_the_login(client, name):
    response = client.get(reverse(f"dashboard:{name}"), {"bbox": GERMANY, "zoom": 6})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitors_get_no_popup(client):
    station = located_station("CP-1", 52.52, 13.40, ["Available"])

    response = client.get(reverse("dashboard:map-popup", args=[station.pk]))

    assert response.status_code == 302


def test_the_old_map_address_redirects_to_the_dashboard_map(viewer):
    response = viewer.get("/map/")

    assert response.status_code in (301, 302) and response["Location"] == reverse("dashboard:map")
