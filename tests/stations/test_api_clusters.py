"""GET /api/v1/stations/clusters: stations counted per grid cell for a map."""

import pytest
from rest_framework.test import APIClient

from stations.models import RegistrationStatus
from tests.stations.conftest import Plug

URL = "/api/v1/stations/clusters"
GERMANY = "5.5,47,15.5,55.5"
CCS = Plug("IEC_62196_T2_COMBO", 150_000)


@pytest.fixture
def grid(site):
    """Three groups far apart, each well inside one cell at zoom 8 (cells of 0.35° × 0.22°)."""
    site("B-FREE", 52.550, 13.400, Plug(status="Available"))
    site("B-BUSY", 52.551, 13.401, Plug(status="Charging"))
    site("B-OFF", 52.552, 13.402, Plug(status="Available"), online=False)
    site("B-NEW", 52.553, 13.403, Plug(status=""))
    site("B-DOWN", 52.554, 13.404, Plug(status="Available"), station_status="Faulted")
    site("B-PENDING", 52.555, 13.405, registration_status=RegistrationStatus.PENDING)
    site("H-1", 53.550, 10.000, CCS)
    site("H-2", 53.551, 10.001, Plug(status="Available"))
    site("H-3", 53.552, 10.002, Plug(status="Available"), Plug(CCS.standard, CCS.max_power_w, "Charging"))
    site("M-1", 48.140, 11.580, CCS)
    site("PARIS", 48.857, 2.352)


def clusters(api, **params) -> list[dict]:
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    assert response.json()["zoom"] == int(params["zoom"])
    return response.json()["clusters"]


def test_counts_per_cell_with_availability(api, grid):
    munich, berlin, hamburg = clusters(api, bbox=GERMANY, zoom=8)  # south to north
    assert munich == {
        "count": 1,
        "latitude": 48.14,
        "longitude": 11.58,
        "available": 1,
        "busy": 0,
        "unknown": 0,
        "station_id": "M-1",
    }
    assert berlin == {
        "count": 5,
        "latitude": 52.552,
        "longitude": 13.402,
        "available": 1,
        "busy": 2,
        "unknown": 2,
        "station_id": None,
    }
    assert (hamburg["count"], hamburg["available"], hamburg["busy"], hamburg["unknown"]) == (3, 3, 0, 0)
    assert (hamburg["latitude"], hamburg["longitude"]) == (53.551, 10.001)


def test_filters_count_and_judge_availability_by_the_matching_connector(api, grid):
    munich, hamburg = clusters(api, bbox=GERMANY, zoom=8, connector_type="CCS2")
    assert (munich["count"], munich["station_id"]) == (1, "M-1")
    # H-3's Type 2 is free but its CCS connector is charging: busy for someone who needs CCS.
    assert (hamburg["count"], hamburg["available"], hamburg["busy"]) == (2, 1, 1)
    assert [c["count"] for c in clusters(api, bbox=GERMANY, zoom=8, min_power_kw=100)] == [1, 2]
    assert clusters(api, bbox=GERMANY, zoom=8, connector_type="CHADEMO") == []


def test_high_zoom_gives_one_pin_per_station(api, grid):
    pins = clusters(api, bbox="13.39,52.54,13.41,52.56", zoom=18)
    assert sorted(pin["station_id"] for pin in pins) == ["B-BUSY", "B-DOWN", "B-FREE", "B-NEW", "B-OFF"]
    assert all(pin["count"] == 1 for pin in pins)
    free = next(pin for pin in pins if pin["station_id"] == "B-FREE")
    assert (free["latitude"], free["longitude"], free["available"]) == (52.55, 13.4, 1)


def test_the_world_at_zoom_zero(api, grid):
    (world,) = clusters(api, bbox="-180,-85,180,85", zoom=0)
    assert world["count"] == 10 and world["station_id"] is None


def test_only_what_is_in_the_box(api, grid):
    assert [c["count"] for c in clusters(api, bbox="9,53,11,54", zoom=8)] == [3]


def test_a_box_too_large_for_the_zoom_is_gridded_coarser(api, grid):
    response = api.get(URL, {"bbox": GERMANY, "zoom": 20}).json()
    assert response["zoom"] == 9  # 10° × 8.5°: 57 × 77 cells at zoom 9, four times as many (over 10,000) at 10
    assert sum(cluster["count"] for cluster in response["clusters"]) == 9


def test_latitudes_in_either_order(api, grid):
    assert clusters(api, bbox="9,54,11,53", zoom=8) == clusters(api, bbox="9,53,11,54", zoom=8)


def test_a_box_across_the_antimeridian(api, site):
    site("FIJI-EAST", -17.8, 179.9)
    site("FIJI-WEST", -17.8, -179.9)
    site("ELSEWHERE", -17.8, 170.0)
    pins = clusters(api, bbox="179,-19,-179,-17", zoom=10)
    assert sorted(pin["station_id"] for pin in pins) == ["FIJI-EAST", "FIJI-WEST"]


def test_anonymous_is_refused(db):
    assert APIClient().get(URL, {"bbox": GERMANY, "zoom": 5}).status_code == 401


@pytest.mark.parametrize(
    "params, field",
    [
        ({"bbox": "5,47,15", "zoom": 5}, "bbox"),
        ({"bbox": "a,b,c,d", "zoom": 5}, "bbox"),
        ({"bbox": "5,47,15,95", "zoom": 5}, "bbox"),
        ({"bbox": "-190,47,15,55", "zoom": 5}, "bbox"),
        ({"bbox": "5,47,15,55,1", "zoom": 5}, "bbox"),
        ({"zoom": 5}, "bbox"),
        ({"bbox": GERMANY}, "zoom"),
        ({"bbox": GERMANY, "zoom": 21}, "zoom"),
        ({"bbox": GERMANY, "zoom": -1}, "zoom"),
        ({"bbox": GERMANY, "zoom": 8, "connector_type": "NACS"}, "connector_type"),
        ({"bbox": GERMANY, "zoom": 8, "min_power_kw": "lots"}, "min_power_kw"),
    ],
)
def test_bad_parameters_are_named(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and list(response.json()["fields"]) == [field]
