"""The OCPI shapes can fail: objects a partner's parser would reject do not pass them."""

from decimal import Decimal

import pytest

from roaming import schemas
from tests.roaming.ocpi_shapes import assert_ocpi, ocpi_errors

CONNECTOR = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 230,
    "max_amperage": 32,
    "last_updated": "2025-01-01T00:00:00Z",
}


def test_a_spec_example_connector_passes():
    assert_ocpi(schemas.CONNECTOR, CONNECTOR)


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"standard": "TYPE2"}, "is not one of"),
        ({"max_voltage": "230"}, "is not of type 'integer'"),
        ({"id": "x" * 37}, "is too long"),
        ({"last_updated": "2025-01-01T00:00:00+00:00"}, "does not match"),  # +00:00 is not UTC to OCPI
        ({"last_updated": "2025-01-01T00:00:00.123456Z"}, "is too long"),  # DateTime is string(25)
        ({"colour": "red"}, "Additional properties are not allowed"),
    ],
)
def test_a_wrong_connector_fails(change, complaint):
    errors = ocpi_errors(schemas.CONNECTOR, {**CONNECTOR, **change})
    assert len(errors) == 1 and complaint in errors[0]
    with pytest.raises(AssertionError, match="not an OCPI 2.2.1 object"):
        assert_ocpi(schemas.CONNECTOR, {**CONNECTOR, **change})


def test_a_missing_required_field_fails():
    connector = dict(CONNECTOR)
    del connector["power_type"]
    assert ocpi_errors(schemas.CONNECTOR, connector) == ["(root): 'power_type' is a required property"]


@pytest.mark.parametrize("latitude", ["52.52", "52,520000", "152.520000", "52.52000000"])
def test_coordinates_follow_the_spec_regex(latitude):
    assert ocpi_errors(schemas.GEO_LOCATION, {"latitude": latitude, "longitude": "13.405000"})


def test_money_is_a_number_decimal_or_not_but_never_a_string():
    component = {"type": "ENERGY", "price": Decimal("0.35"), "step_size": 1}
    assert_ocpi(schemas.PRICE_COMPONENT, component)
    assert ocpi_errors(schemas.PRICE_COMPONENT, {**component, "price": "0.35"}) == [
        "price: '0.35' is not of type 'number'"
    ]


def test_an_evse_needs_a_connector_and_a_tariff_an_element():
    evse = {"uid": "1", "status": "AVAILABLE", "connectors": [], "last_updated": "2025-01-01T00:00:00Z"}
    assert ocpi_errors(schemas.EVSE, evse) == ["connectors: [] should be non-empty"]
    tariff = {
        "country_code": "DE",
        "party_id": "VST",
        "id": "T",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "PARKING", "price": 1, "step_size": 1}]}],
        "last_updated": "2025-01-01T00:00:00Z",
    }
    assert ocpi_errors(schemas.TARIFF, tariff) == [
        "elements/0/price_components/0/type: 'PARKING' is not one of ['ENERGY', 'FLAT', 'PARKING_TIME', 'TIME']"
    ]
