"""A small network for the Sessions pages' tests: two sites in different time zones, sessions built by the services.

Chargers send their real sequences (tests.sessions.chargers.Charger16: Preparing,
StartTransaction, Charging, MeterValues, Finishing, StopTransaction, Available);
billing prices and seals them with its own services.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from billing.models import Payment, PriceComponent, Tariff, TariffAssignment, TariffElement
from billing.services import price_running_session, seal_session
from dashboard.access import SEE_NETWORK
from sessions.meter import POWER_IMPORT, STATE_OF_CHARGE, Sample
from sessions.models import DriverSession, IdTag, Transaction
from tests.roles import define_roles
from tests.sessions.chargers import Charger16, energy
from tests.stations.conftest import Plug, create_site

# Berlin: 2026-03-06 00:30 local, still the 5th in UTC. New York: 2026-03-05 22:00 local, already the 6th in UTC.
T1_START = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
T2_START = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
T3_START = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)


@dataclass
class World:
    berlin: object
    new_york: object
    completed: Transaction  # T1: CP-BER EVSE 1, dana's CARD-A, 12.345 kWh in an hour, sealed: 4.70 / 5.60 EUR
    running: Transaction  # T2: CP-BER EVSE 2, CARD-B (no owner), priced so far
    failed: Transaction  # T3: CP-NYC, erik's CARD-C, no tariff, its card payment failed


def finish(charger: Charger16, tx_id: int, *, meter_stop: int, at: datetime, evse_number: int = 1) -> None:
    charger.status(evse_number, "Finishing", at)
    charger.stop(tx_id, meter_stop=meter_stop, at=at)
    charger.status(evse_number, "Available", at)


@pytest.fixture
def world(db) -> World:
    user = get_user_model()
    dana = user.objects.create_user("dana", "dana@example.com")
    erik = user.objects.create_user("erik", "erik@example.com")
    IdTag.objects.create(id_tag="CARD-A", owner=dana)
    IdTag.objects.create(id_tag="CARD-B")
    IdTag.objects.create(id_tag="CARD-C", owner=erik)
    berlin = create_site("CP-BER", 52.5, 13.4, Plug(), Plug(), online=False, name="Berlin", time_zone="Europe/Berlin")
    new_york = create_site("CP-NYC", 40.7, -74.0, Plug(), online=False, name="New York", time_zone="America/New_York")
    tariff = Tariff.objects.create(tariff_id="BER-AC", currency="EUR")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.30"), vat=Decimal("19"))
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("1.00"), vat=Decimal("19"))
    TariffAssignment.objects.create(tariff=tariff, location=berlin.location)

    ber = Charger16(berlin.pk)
    t1 = ber.session(id_tag="CARD-A", meter_start=1_000, at=T1_START)
    for minute, wh, watts, soc in ((0, 1_000, 11_000, 20), (30, 6_500, 11_200, 45), (60, 13_345, 10_800, 70)):
        at = T1_START + timedelta(minutes=minute)
        ber.meter_values(
            t1,
            energy(at, wh),
            Sample(timestamp=at, value=str(watts), measurand=POWER_IMPORT, unit="W"),
            Sample(timestamp=at, value=str(soc), measurand=STATE_OF_CHARGE, unit="Percent", location="EV"),
        )
    finish(ber, t1, meter_stop=13_345, at=T1_START + timedelta(minutes=60))
    seal_session(transaction_id=t1)

    t2 = ber.session(id_tag="CARD-B", meter_start=500, at=T2_START, evse_number=2)
    ber.meter_values(t2, energy(T2_START + timedelta(minutes=10), 2_500), evse_number=2)
    price_running_session(transaction_id=t2)

    nyc = Charger16(new_york.pk)
    t3 = nyc.session(id_tag="CARD-C", meter_start=0, at=T3_START)
    finish(nyc, t3, meter_stop=4_000, at=T3_START + timedelta(minutes=20))
    seal_session(transaction_id=t3)
    tx3 = Transaction.objects.get(pk=t3)
    driver_session, _ = DriverSession.objects.get_or_create(
        transaction=tx3,
        defaults={"driver": erik, "id_tag": tx3.id_tag, "station": new_york, "connector": tx3.connector},
    )
    Payment.objects.create(
        driver_session=driver_session,
        currency="EUR",
        amount_authorised=Decimal("50.00"),
        status=Payment.Status.FAILED,
        failure_code="card_declined",
    )
    return World(
        berlin=berlin,
        new_york=new_york,
        completed=Transaction.objects.get(pk=t1),
        running=Transaction.objects.get(pk=t2),
        failed=tx3,
    )


def staff(username: str, *, group: str | None = None, permissions: tuple[str, ...] = ()):
    member = get_user_model().objects.create_user(username, f"{username}@voltstack.test", is_staff=True)
    if group:
        # The roles migration's groups, made again if a transactional test's flush emptied the tables.
        define_roles()
        member.groups.add(Group.objects.get(name=group))
    for label in permissions:
        app_label, codename = label.split(".")
        member.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return member


@pytest.fixture
def finance(db):
    """Sees money: finance holds billing's view permissions."""
    return staff("fiona", group="finance")


@pytest.fixture
def looker(db):
    """Sees the network but no money: only the station view permission (SEE_NETWORK), not SEE_MONEY."""
    return staff("lou", permissions=(SEE_NETWORK,))
