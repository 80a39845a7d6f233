"""Stations, tariffs and sessions in the database, for the billing tests that need it."""

from decimal import Decimal

import pytest

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from stations.models import Location
from stations.services.connections import provision_station


@pytest.fixture
def location(db):
    return Location.objects.create(
        name="Depot", latitude=Decimal("52.5"), longitude=Decimal("13.4"), time_zone="Europe/Berlin"
    )


@pytest.fixture
def station(location):
    return provision_station(
        charge_point_id="CP-BILL", password="a-long-station-password", location=location, evse_count=2
    )


@pytest.fixture
def connectors(station):
    return [evse.connectors.get() for evse in station.evses.order_by("number")]


@pytest.fixture
def make_tariff(db):
    def make(tariff_id: str, *components: tuple[str, str, int, str | None], **fields) -> Tariff:
        """A tariff with one unrestricted element of (type, price, step_size, vat) components."""
        tariff = Tariff.objects.create(tariff_id=tariff_id, **fields)
        element = TariffElement.objects.create(tariff=tariff, position=0)
        for kind, price, step, vat in components:
            PriceComponent.objects.create(
                element=element,
                type=kind,
                price=Decimal(price),
                step_size=step,
                vat=None if vat is None else Decimal(vat),
            )
        return tariff

    return make


@pytest.fixture
def assign(db):
    def make(tariff: Tariff, **target) -> TariffAssignment:
        return TariffAssignment.objects.create(tariff=tariff, **target)

    return make
