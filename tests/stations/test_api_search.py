"""GET /api/v1/stations: nearby stations, nearest first, filtered and paged."""

import math
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from stations.models import RegistrationStatus
from tests.stations.conftest import Plug, client_for

URL = "/api/v1/stations"
BERLIN = (52.52, 13.405)


def great_circle_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The test's own haversine (spherical law, mean Earth radius)."""
    (lat1, lon1), (lat2, lon2) = [(math.radians(lat), math.radians(lon)) for lat, lon in (a, b)]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def search(api, **params):
    response = api.get(URL, {"lat": BERLIN[0], "lon": BERLIN[1], **params})
    assert response.status_code == 200, response.json()
    return response.json()


def ids(body) -> list[str]:
    return [station["id"] for station in body["results"]]


def test_only_drivers_may_search(db, site):
    site("CP-1", *BERLIN)
    assert APIClient().get(URL, {"lat": 52.5, "lon": 13.4}).json()["code"] == "not_authenticated"
    assert APIClient().get(URL, {"lat": 52.5, "lon": 13.4}).status_code == 401
    operator = get_user_model().objects.create_user(username="op", password="x-long-password", is_staff=True)
    refused = client_for(operator).get(URL, {"lat": 52.5, "lon": 13.4})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_sorted_by_real_distance_with_exact_metres(api, site):
    places = {
        "NORTH": (52.57, 13.405),  # 0.05° of latitude: 5.6 km
        "EAST": (52.52, 13.475),  # 0.07° of longitude, but only 4.7 km at this latitude
        "NEAR": (52.521, 13.41),
        "POTSDAM": (52.40, 13.06),
        "HAMBURG": (53.55, 10.0),
    }
    for charge_point_id, (lat, lon) in places.items():
        site(charge_point_id, lat, lon)
    body = search(api, radius_km=30)
    expected = sorted(["NORTH", "EAST", "NEAR", "POTSDAM"], key=lambda name: great_circle_m(BERLIN, places[name]))
    assert ids(body) == expected == ["NEAR", "EAST", "NORTH", "POTSDAM"]
    for station in body["results"]:
        assert station["distance_m"] == pytest.approx(great_circle_m(BERLIN, places[station["id"]]), abs=1)
    assert ids(search(api, radius_km=5)) == ["NEAR", "EAST"]
    assert ids(search(api)) == ["NEAR", "EAST", "NORTH"]  # radius_km defaults to 10
    assert ids(search(api, radius_km=500))[-1] == "HAMBURG"


def test_search_across_the_antimeridian(api, site):
    fiji = (-17.8, 179.95)
    site("WEST-OF-180", -17.8, -179.98)  # 7.4 km east, across the line
    site("EAST-OF-180", -17.8, 179.80)  # 15.9 km west
    response = api.get(URL, {"lat": fiji[0], "lon": fiji[1], "radius_km": 20})
    assert [s["id"] for s in response.json()["results"]] == ["WEST-OF-180", "EAST-OF-180"]
    assert response.json()["results"][0]["distance_m"] == pytest.approx(great_circle_m(fiji, (-17.8, -179.98)), abs=1)


def test_only_accepted_stations_with_a_location(api, site):
    site("ACCEPTED", *BERLIN)
    site("PENDING", *BERLIN, registration_status=RegistrationStatus.PENDING)
    unplaced = site("UNPLACED", *BERLIN)
    unplaced.location = None
    unplaced.save()
    assert ids(search(api)) == ["ACCEPTED"]


def test_station_shape(api, site):
    site(
        "CP-SHAPE",
        52.5201,
        13.4051,
        Plug("IEC_62196_T2_COMBO", 150_000, "Charging"),
        Plug("IEC_62196_T2", 22_000, "Available"),
        name="Alexanderplatz",
        address="Alexanderstraße 1",
        city="Berlin",
        postal_code="10178",
        opening_hours={
            "twentyfourseven": False,
            "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
        },
    )
    station = search(api)["results"][0]
    assert station["id"] == "CP-SHAPE" and station["name"] == "Alexanderplatz" and station["is_online"] is True
    assert station["operator"] is None and station["coordinates"] == {"latitude": 52.5201, "longitude": 13.4051}
    location = station["location"]
    assert (location["address"], location["city"], location["postal_code"], location["country"]) == (
        "Alexanderstraße 1",
        "Berlin",
        "10178",
        "DEU",
    )
    assert location["time_zone"] == "Europe/Berlin"
    assert location["opening_times"]["regular_hours"][0]["period_begin"] == "08:00"
    assert [(e["evse_id"], e["status"]) for e in station["evses"]] == [(1, "CHARGING"), (2, "AVAILABLE")]
    assert station["evses"][0]["connectors"] == [
        {
            "id": "1",
            "standard": "IEC_62196_T2_COMBO",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_electric_power": 150_000,
            "max_power_kw": 150.0,
            "tariff": None,
        }
    ]
    assert station["tariff_summary"] == [] and station["last_updated"].endswith("Z")


def test_offline_stations_show_unknown_and_empty_hours_mean_always_open(api, site):
    site("CP-OFF", *BERLIN, Plug(status="Available"), online=False)
    station = search(api)["results"][0]
    assert station["is_online"] is False and station["evses"][0]["status"] == "UNKNOWN"
    assert station["location"]["opening_times"] == {"twentyfourseven": True}


def test_each_connector_shows_the_tariff_billing_charges_this_driver(api, site):
    station = site("CP-TARIFF", *BERLIN, Plug("IEC_62196_T2_COMBO", 150_000), Plug(), Plug())
    connectors = [evse.connectors.get() for evse in station.evses.order_by("number")]
    dc, ac = energy_tariff("DC", "0.69"), energy_tariff("AC", "0.49")
    TariffAssignment.objects.create(tariff=dc, connector=connectors[0])
    TariffAssignment.objects.create(tariff=ac, location=station.location)
    body = search(api)["results"][0]
    texts = [e["connectors"][0]["tariff"] for e in body["evses"]]
    assert [t["currency"] for t in texts] == ["EUR"] * 3
    assert "0.69" in texts[0]["text"] and "0.49" in texts[1]["text"] and texts[1] == texts[2]
    assert body["tariff_summary"] == [texts[0], texts[1]]


def energy_tariff(tariff_id: str, price: str) -> Tariff:
    """One price per kWh, no VAT, so the driver's price is the price."""
    tariff = Tariff.objects.create(tariff_id=tariff_id, currency="EUR")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal(price), step_size=1)
    return tariff


@pytest.fixture
def plugs(site):
    """Four stations a few hundred metres apart, one plug type each, plus a mixed one."""
    site("CCS", 52.521, 13.405, Plug("IEC_62196_T2_COMBO", 150_000))
    site("TYPE2", 52.522, 13.405, Plug("IEC_62196_T2", 22_000))
    site("CHADEMO", 52.523, 13.405, Plug("CHADEMO", 50_000))
    site("SCHUKO", 52.524, 13.405, Plug("DOMESTIC_F", 3_700))
    site("MIXED", 52.525, 13.405, Plug("IEC_62196_T2", 11_000), Plug("IEC_62196_T2_COMBO", 300_000, "Charging"))


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"connector_type": "CCS2"}, ["CCS", "MIXED"]),
        ({"connector_type": "ccs2, chademo"}, ["CCS", "CHADEMO", "MIXED"]),
        ({"connector_type": "IEC_62196_T2"}, ["TYPE2", "MIXED"]),
        ({"connector_type": "SCHUKO"}, ["SCHUKO"]),
        ({"connector_type": "TYPE1,CCS1"}, []),
        ({"min_power_kw": 50}, ["CCS", "CHADEMO", "MIXED"]),
        ({"min_power_kw": "3.7"}, ["CCS", "TYPE2", "CHADEMO", "SCHUKO", "MIXED"]),
        # One connector must meet every condition: MIXED has Type 2 (11 kW) and CCS (300 kW), not a fast Type 2.
        ({"connector_type": "TYPE2", "min_power_kw": 20}, ["TYPE2"]),
        ({"available_only": "true", "connector_type": "CCS2"}, ["CCS"]),
        ({"available_only": "true", "min_power_kw": 200}, []),
    ],
)
def test_filters(api, plugs, params, expected):
    assert ids(search(api, **params)) == expected


def test_available_only(api, site):
    site("FREE", 52.521, 13.405, Plug(status="Available"))
    site("OFFLINE", 52.522, 13.405, Plug(status="Available"), online=False)
    site("BUSY", 52.523, 13.405, Plug(status="Charging"), Plug(status="Faulted"))
    site("DOWN", 52.524, 13.405, Plug(status="Available"), station_status="Unavailable")
    site("ONE-FREE", 52.525, 13.405, Plug(status="Charging"), Plug(status="Available"))
    site("SILENT", 52.526, 13.405, Plug(status=""))
    assert ids(search(api, available_only="true")) == ["FREE", "ONE-FREE"]
    assert len(ids(search(api, available_only="false"))) == 6


def test_pages(api, site):
    for n in range(5):
        site(f"CP-{n}", 52.52 + 0.001 * (n + 1), 13.405)
    first = search(api, page_size=2)
    assert first["count"] == 5 and ids(first) == ["CP-0", "CP-1"] and "page=2" in first["next"]
    assert ids(search(api, page_size=2, page=2)) == ["CP-2", "CP-3"]
    last = search(api, page_size=2, page=3)
    assert ids(last) == ["CP-4"] and last["next"] is None
    assert api.get(URL, {"lat": 52.5, "lon": 13.4, "page": 9}).json()["code"] == "not_found"


def test_queries_do_not_grow_with_the_page(api, site):
    for n in range(12):
        site(f"CP-{n:02d}", 52.52 + 0.001 * n, 13.405, Plug(), Plug("IEC_62196_T2_COMBO", 150_000))

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(search(api, page_size=page_size)["results"]) == page_size
        return len(captured)

    # The user, the count, stations with locations, EVSEs, connectors, and billing's own constant few.
    assert queries(2) == queries(12)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": 91, "lon": 13}, "lat"),
        ({"lat": "north", "lon": 13}, "lat"),
        ({"lon": 13}, "lat"),
        ({"lat": 52, "lon": -180.5}, "lon"),
        ({"lat": 52}, "lon"),
        ({"lat": 52, "lon": 13, "radius_km": 0}, "radius_km"),
        ({"lat": 52, "lon": 13, "radius_km": -3}, "radius_km"),
        ({"lat": 52, "lon": 13, "radius_km": 500.1}, "radius_km"),
        ({"lat": 52, "lon": 13, "radius_km": "nan"}, "radius_km"),
        ({"lat": 52, "lon": 13, "connector_type": "CCS2,TESLA"}, "connector_type"),
        ({"lat": 52, "lon": 13, "connector_type": "CCS2," * 50}, "connector_type"),
        ({"lat": 52, "lon": 13, "min_power_kw": -1}, "min_power_kw"),
        ({"lat": 52, "lon": 13, "available_only": "perhaps"}, "available_only"),
    ],
)
def test_bad_parameters_are_named(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"], body


def test_unknown_connector_type_lists_the_known_ones(api):
    problem = api.get(URL, {"lat": 52, "lon": 13, "connector_type": "TESLA"}).json()["fields"]["connector_type"][0]
    assert "TESLA" in problem["message"] and "CCS2" in problem["message"] and problem["code"] == "invalid_choice"


def test_radius_of_500_km_is_allowed(api):
    assert api.get(URL, {"lat": 52, "lon": 13, "radius_km": 500}).status_code == 200
