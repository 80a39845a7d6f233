"""Tariffs as a partner sees them: exactly what the pricing engine prices, as OCPI 2.2.1 JSON numbers."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import PriceComponent, Tariff, TariffElement
from roaming import schemas
from roaming.mapping.tariffs import tariff_object
from tests.roaming.ocpi_shapes import assert_ocpi


@pytest.mark.django_db
def test_the_demo_tariff():
    call_command("seed_demo", stdout=io.StringIO())
    tariff = Tariff.objects.get(tariff_id="DEMO-AC")
    data = tariff_object(tariff, country_code="DE", party_id="VST")
    assert data == {
        "country_code": "DE",
        "party_id": "VST",
        "id": "DEMO-AC",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": Decimal("0.35"), "vat": Decimal("19"), "step_size": 1},
                    {"type": "PARKING_TIME", "price": Decimal("6"), "vat": Decimal("19"), "step_size": 60},
                ]
            }
        ],
        "last_updated": tariff.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert all(isinstance(c["price"], Decimal) for c in data["elements"][0]["price_components"])
    assert_ocpi(schemas.TARIFF, data)


@pytest.mark.django_db
def test_every_field_of_a_tariff_maps():
    tariff = Tariff.objects.create(
        tariff_id="NIGHT",
        currency="EUR",
        type=Tariff.Type.PROFILE_CHEAP,
        alt_text=[{"language": "en", "text": "0.25/kWh at night"}, {"language": "de", "text": "nachts 0,25/kWh"}],
        alt_url="https://voltstack.example/tariffs/night",
        min_price_excl_vat=Decimal("0.50"),
        max_price_excl_vat=Decimal("20"),
        max_price_incl_vat=Decimal("23.80"),
        start_date_time=datetime(2025, 1, 1, 0, 0, tzinfo=UTC),
        end_date_time=datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    )
    night = TariffElement.objects.create(
        tariff=tariff,
        position=0,
        start_time="22:00",
        end_time="06:00",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        min_kwh=Decimal("0"),
        max_kwh=Decimal("50.5"),
        min_current=Decimal("6"),
        max_current=Decimal("96"),
        min_power=Decimal("1.5"),
        max_power=Decimal("22"),
        min_duration=60,
        max_duration=36_000,
        day_of_week=["SUNDAY", "MONDAY"],
    )
    PriceComponent.objects.create(element=night, type="ENERGY", price=Decimal("0.25"), vat=Decimal("0"), step_size=100)
    PriceComponent.objects.create(element=night, type="FLAT", price=Decimal("1"))  # no VAT applies
    reservation = TariffElement.objects.create(tariff=tariff, position=1, reservation="RESERVATION_EXPIRES")
    PriceComponent.objects.create(
        element=reservation, type="TIME", price=Decimal("2"), vat=Decimal("19"), step_size=300
    )

    data = tariff_object(tariff, country_code="DE", party_id="VST")
    assert {k: v for k, v in data.items() if k != "last_updated"} == {
        "country_code": "DE",
        "party_id": "VST",
        "id": "NIGHT",
        "currency": "EUR",
        "type": "PROFILE_CHEAP",
        "tariff_alt_text": [
            {"language": "en", "text": "0.25/kWh at night"},
            {"language": "de", "text": "nachts 0,25/kWh"},
        ],
        "tariff_alt_url": "https://voltstack.example/tariffs/night",
        "min_price": {"excl_vat": Decimal("0.50")},
        "max_price": {"excl_vat": Decimal("20"), "incl_vat": Decimal("23.80")},
        "start_date_time": "2025-01-01T00:00:00Z",
        "end_date_time": "2026-01-01T00:00:00Z",
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("0"), "step_size": 100},
                    {"type": "FLAT", "price": Decimal("1"), "step_size": 1},
                ],
                "restrictions": {
                    "start_time": "22:00",
                    "end_time": "06:00",
                    "start_date": "2025-01-01",
                    "end_date": "2025-12-31",
                    "min_kwh": Decimal("0"),
                    "max_kwh": Decimal("50.5"),
                    "min_current": Decimal("6"),
                    "max_current": Decimal("96"),
                    "min_power": Decimal("1.5"),
                    "max_power": Decimal("22"),
                    "min_duration": 60,
                    "max_duration": 36_000,
                    "day_of_week": ["MONDAY", "SUNDAY"],
                },
            },
            {
                "price_components": [{"type": "TIME", "price": Decimal("2"), "vat": Decimal("19"), "step_size": 300}],
                "restrictions": {"reservation": "RESERVATION_EXPIRES"},
            },
        ],
    }
    assert_ocpi(schemas.TARIFF, data)
