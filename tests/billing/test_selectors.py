"""Which tariff applies (precedence, groups, validity), summaries in few queries, a stored session's cost."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import TariffAssignment
from billing.selectors import session_cost, tariff_for_connector, tariff_summaries
from sessions.models import Reservation, Transaction
from stations.services.connections import provision_station
from tests.billing.stored_sessions import START, sample, status, stored_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet_driver(django_user_model):
    driver = django_user_model.objects.create_user("fleet-driver", password="x" * 12)
    driver.groups.add(Group.objects.create(name="Fleet A"))
    return driver


class TestPrecedence:
    def test_connector_beats_evse_beats_location(self, connectors, location, make_tariff, assign):
        connector = connectors[0]
        assign(make_tariff("LOC", ("ENERGY", "0.50", 1, "19")), location=location)
        assert tariff_for_connector(connector=connector).tariff_id == "LOC"
        assign(make_tariff("EVSE", ("ENERGY", "0.45", 1, "19")), evse=connector.evse)
        assert tariff_for_connector(connector=connector).tariff_id == "EVSE"
        assign(make_tariff("CONN", ("ENERGY", "0.40", 1, "19")), connector=connector)
        assert tariff_for_connector(connector=connector).tariff_id == "CONN"
        assert tariff_for_connector(connector=connectors[1]).tariff_id == "LOC"

    def test_a_drivers_group_beats_the_general_price_at_the_same_level_only(
        self, connectors, location, make_tariff, assign, fleet_driver
    ):
        connector = connectors[0]
        assign(make_tariff("PUBLIC", ("ENERGY", "0.59", 1, "19")), location=location)
        assign(make_tariff("FLEET", ("ENERGY", "0.35", 1, "19")), location=location, group=fleet_driver.groups.get())
        assert tariff_for_connector(connector=connector).tariff_id == "PUBLIC"
        assert tariff_for_connector(connector=connector, user=fleet_driver).tariff_id == "FLEET"
        assign(make_tariff("HPC", ("ENERGY", "0.69", 1, "19")), evse=connector.evse)
        assert tariff_for_connector(connector=connector, user=fleet_driver).tariff_id == "HPC"

    def test_another_groups_price_does_not_apply(self, connectors, location, make_tariff, assign, django_user_model):
        assign(
            make_tariff("OTHER-FLEET", ("ENERGY", "0.10", 1, None)),
            location=location,
            group=Group.objects.create(name="Fleet B"),
        )
        walk_in = django_user_model.objects.create_user("walk-in")
        assert tariff_for_connector(connector=connectors[0], user=walk_in) is None

    def test_only_tariffs_valid_at_the_moment_count(self, connectors, location, make_tariff, assign):
        now = timezone.now()
        assign(
            make_tariff("OLD", ("ENERGY", "0.40", 1, None), end_date_time=now - timedelta(days=1)), location=location
        )
        assign(
            make_tariff("NEXT", ("ENERGY", "0.50", 1, None), start_date_time=now + timedelta(days=1)), location=location
        )
        assign(
            make_tariff("NOW", ("ENERGY", "0.45", 1, None), start_date_time=now - timedelta(days=30)), location=location
        )
        assert tariff_for_connector(connector=connectors[0]).tariff_id == "NOW"
        assert tariff_for_connector(connector=connectors[0], at=now + timedelta(days=2)).tariff_id == "NEXT"
        assert tariff_for_connector(connector=connectors[0], at=now - timedelta(days=60)).tariff_id == "OLD"

    def test_no_tariff_anywhere(self, connectors):
        assert tariff_for_connector(connector=connectors[0]) is None

    def test_an_assignment_names_exactly_one_target(self, connectors, location, make_tariff):
        tariff = make_tariff("X", ("FLAT", "1", 1, None))
        with pytest.raises(IntegrityError):
            TariffAssignment.objects.create(tariff=tariff, location=location, connector=connectors[0])


class TestSummaries:
    def test_text_and_numbers_incl_vat(self, connectors, location, make_tariff, assign):
        tariff = make_tariff("STD", ("ENERGY", "0.3277", 1, "19"), ("FLAT", "0.8403", 1, "19"))
        element = tariff.elements.create(position=1, min_duration=3600)
        element.price_components.create(type="TIME", price=Decimal("2.5210"), vat=Decimal("19"), step_size=60)
        assign(tariff, location=location)
        summary = tariff_summaries(connector_ids=[connectors[0].pk])[connectors[0].pk]
        assert summary.text == "0.39 EUR/kWh · 0.05 EUR/min after 60 min · 1.00 EUR start"
        assert summary.energy_per_kwh.quantize(Decimal("0.0001")) == Decimal("0.3900")
        assert summary.time_per_hour.quantize(Decimal("0.0001")) == Decimal("3.0000")
        assert summary.flat.quantize(Decimal("0.0001")) == Decimal("1.0000")
        assert summary.currency == "EUR"

    def test_a_constant_number_of_queries_for_many_connectors(self, location, make_tariff, assign, fleet_driver):
        assign(make_tariff("STD", ("ENERGY", "0.50", 1, "19")), location=location)
        assign(make_tariff("FLEET", ("ENERGY", "0.30", 1, "19")), location=location, group=fleet_driver.groups.get())
        stations = [
            provision_station(charge_point_id=f"CP-S{i}", password="p" * 16, location=location, evse_count=3)
            for i in range(10)
        ]
        assign(make_tariff("ONE", ("TIME", "6.00", 60, "19")), evse=stations[0].evses.first())
        ids = [c.pk for s in stations for e in s.evses.all() for c in e.connectors.all()]
        with CaptureQueriesContext(connection) as few:
            summaries = tariff_summaries(connector_ids=ids[:3], user=fleet_driver)
        with CaptureQueriesContext(connection) as many:
            summaries = tariff_summaries(connector_ids=ids, user=fleet_driver)
        assert len(many) == len(few) <= 6
        assert len(summaries) == 30
        assert summaries[ids[0]].tariff_id == "ONE" and summaries[ids[0]].text == "7.14 EUR/h"
        assert {summaries[i].tariff_id for i in ids[3:]} == {"FLEET"}

    def test_connectors_without_a_tariff_are_left_out(self, connectors):
        assert tariff_summaries(connector_ids=[c.pk for c in connectors]) == {}


class TestSessionCost:
    def test_charging_then_parking_from_stored_data(self, connectors, location, make_tariff, assign):
        connector = connectors[0]
        assign(
            make_tariff(
                "STD", ("FLAT", "0.50", 1, "20"), ("ENERGY", "0.25", 1, "10"), ("PARKING_TIME", "2.00", 900, "20")
            ),
            location=location,
        )
        transaction = stored_transaction(connector, minutes=100, meter_stop_wh=1_020_000)
        status(connector, -1, "Preparing")
        status(connector, 0, "Charging")
        for minute, wh in ((30, "1006000"), (60, "1020000")):
            sample(transaction, minute, "Energy.Active.Import.Register", wh)
        status(connector, 60, "SuspendedEV")
        status(connector, 100, "Available")
        cdr = session_cost(transaction=transaction)
        assert (str(cdr.total_cost.excl_vat), str(cdr.total_cost.incl_vat)) == (
            "7.00",
            "7.90",
        )  # OCPI's parking example
        assert cdr.total_energy_wh == 20_000 and cdr.total_parking_time_s == 40 * 60

    def test_per_phase_current_is_summed_for_current_restrictions(self, connectors, location, make_tariff, assign):
        connector = connectors[0]
        tariff = make_tariff("AMPS", ("TIME", "1.00", 1, None))
        fast = tariff.elements.create(position=0, min_current=Decimal(32))
        fast.price_components.create(type="TIME", price=Decimal("3.00"), step_size=1)
        tariff.elements.filter(position=0, min_current__isnull=True).update(position=1)
        assign(tariff, connector=connector)
        transaction = stored_transaction(connector, minutes=60, meter_stop_wh=1_011_000)
        for phase in ("L1", "L2", "L3"):
            sample(transaction, 30, "Current.Import", "16", phase)
            sample(transaction, 60, "Current.Import", "16", phase)
        sample(transaction, 30, "Energy.Active.Import.Register", "1005500")
        cdr = session_cost(transaction=transaction)
        assert str(cdr.total_time_cost.excl_vat) == "3.00"  # 48 A over three phases

    def test_the_fleet_price_of_the_driver(self, connectors, location, make_tariff, assign, fleet_driver):
        assign(make_tariff("PUBLIC", ("ENERGY", "0.50", 1, None)), location=location)
        assign(make_tariff("FLEET", ("ENERGY", "0.30", 1, None)), location=location, group=fleet_driver.groups.get())
        transaction = stored_transaction(connectors[0], owner=fleet_driver, meter_stop_wh=1_010_000)
        assert str(session_cost(transaction=transaction).total_cost.excl_vat) == "3.00"

    def test_a_running_session_is_priced_until_now(self, connectors, location, make_tariff, assign):
        assign(make_tariff("TIME", ("TIME", "6.00", 60, None)), location=location)
        transaction = stored_transaction(connectors[0])
        Transaction.objects.filter(pk=transaction.pk).update(stopped_at=None)
        transaction.refresh_from_db()
        cdr = session_cost(transaction=transaction, now=START + timedelta(minutes=20))
        assert str(cdr.total_cost.excl_vat) == "2.00"

    def test_reservation_time_before_the_session(self, connectors, location, make_tariff, assign):
        tariff = make_tariff("RES", ("ENERGY", "0.25", 1, None))
        element = tariff.elements.create(position=1, reservation="RESERVATION")
        element.price_components.create(type="TIME", price=Decimal("5.00"), step_size=60)
        assign(tariff, location=location)
        reservation = Reservation.objects.create(
            station=connectors[0].evse.station, evse_number=1, id_tag="X", expires_at=START
        )
        Reservation.objects.filter(pk=reservation.pk).update(created_at=START - timedelta(minutes=15))
        transaction = stored_transaction(connectors[0], meter_stop_wh=1_020_000, reservation_id=reservation.pk)
        cdr = session_cost(transaction=transaction)
        assert str(cdr.total_reservation_cost.excl_vat) == "1.25" and str(cdr.total_cost.excl_vat) == "6.25"

    def test_no_tariff_no_cost(self, connectors):
        assert session_cost(transaction=stored_transaction(connectors[0], meter_stop_wh=1_001_000)) is None
