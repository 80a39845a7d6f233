"""Query parameters the schema documents are read as documented: a blank or ill-formed one is a 400 naming it."""

import pytest

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/stations?lat=52.5&lon=13.4"
MAP = "/api/v1/stations/clusters?bbox=13,52,14,53&zoom=10"


@pytest.mark.parametrize("url", [SEARCH, MAP])
@pytest.mark.parametrize(
    "query, field",
    [
        ("connector_type=", "connector_type"),
        ("connector_type=,", "connector_type"),
        ("connector_type=CCS2,,TYPE2", "connector_type"),
        ("connector_type=CCS2,", "connector_type"),
        ("min_power_kw=", "min_power_kw"),
    ],
)
def test_a_blank_or_ill_formed_parameter_is_refused_by_name(api, url, query, field):
    response = api.get(f"{url}&{query}")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]


@pytest.mark.parametrize("url", [SEARCH, MAP])
def test_connector_types_are_read_in_any_case_and_spacing(api, url):
    assert api.get(f"{url}&connector_type=ccs2,%20Type2&min_power_kw=11").status_code == 200
