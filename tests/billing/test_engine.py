"""The engine beyond the spec's worked examples: clock edges, meters, steps, restrictions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.pricing import MeterReading, SessionTimeline, StateChange, price_session, tariff_from_ocpi, tariff_to_ocpi
from tests.billing.ocpi_examples import EXAMPLES, example
from tests.billing.timelines import expired_reservation, local, readings_session, session


def tariff(*elements, **fields):
    return tariff_from_ocpi({"id": "T", "currency": "EUR", "elements": list(elements), **fields})


def element(*components, **restrictions):
    data = {
        "price_components": [
            {"type": t, "price": p, "step_size": s, **({"vat": v} if v is not None else {})}
            for t, p, s, v in components
        ]
    }
    if restrictions:
        data["restrictions"] = restrictions
    return data


def cost(price) -> tuple[str, str]:
    return (str(price.excl_vat), str(price.incl_vat))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestClock:
    def test_night_price_wraps_past_midnight(self):
        night = tariff(
            element(("ENERGY", "0.20", 1, None), start_time="22:00", end_time="06:00"),
            element(("ENERGY", "0.30", 1, None)),
        )
        cdr = price_session(night, session(local("2024-03-05 21:00"), charging_minutes=240, kwh=4))
        assert cost(cdr.total_energy_cost) == ("0.90", "0.90")  # 1 kWh by day, 3 by night
        assert [p.start_date_time for p in cdr.charging_periods] == [utc("2024-03-05 20:00"), utc("2024-03-05 21:00")]

    def test_end_time_midnight_means_end_of_day(self):
        evening = tariff(
            element(("TIME", "3.00", 1, None), start_time="20:00", end_time="00:00"), element(("TIME", "1.00", 1, None))
        )
        cdr = price_session(evening, session(local("2024-03-05 23:00"), charging_minutes=120))
        assert cost(cdr.total_time_cost) == ("4.00", "4.00")

    def test_day_of_week_changes_at_local_midnight(self):
        weekend = tariff(
            element(("TIME", "1.00", 1, None), day_of_week=["SATURDAY", "SUNDAY"]),
            element(("TIME", "2.00", 1, None)),
        )
        cdr = price_session(weekend, session(local("2024-03-08 23:00"), charging_minutes=120))  # Friday 23:00
        assert cost(cdr.total_time_cost) == ("3.00", "3.00")
        assert cdr.charging_periods[1].start_date_time == utc("2024-03-08 23:00")  # Saturday 00:00 in Berlin

    def test_spring_forward_bills_real_time_and_the_local_clock(self):
        """2024-03-31 in Berlin: 02:00 jumps to 03:00. 00:30-04:30 local is three real hours."""
        early = tariff(element(("TIME", "1.00", 1, None), end_time="03:00"), element(("TIME", "2.00", 1, None)))
        cdr = price_session(early, session(local("2024-03-31 00:30"), charging_minutes=180))
        assert cdr.total_time_s == 3 * 3600
        assert cost(cdr.total_time_cost) == ("4.50", "4.50")  # 1.5 h before the jump, 1.5 h after 03:00

    def test_a_start_time_inside_the_spring_gap_applies_from_the_jump(self):
        late = tariff(
            element(("TIME", "2.00", 1, None), start_time="02:30", end_time="06:00"), element(("TIME", "1.00", 1, None))
        )
        cdr = price_session(late, session(local("2024-03-31 01:00"), charging_minutes=120))
        assert cost(cdr.total_time_cost) == ("3.00", "3.00")
        assert cdr.charging_periods[1].start_date_time == utc("2024-03-31 01:00")  # 03:00 CEST

    def test_fall_back_counts_the_repeated_hour_once_per_real_hour(self):
        """2024-10-27 in Berlin: 03:00 CEST goes back to 02:00 CET; local time is before 03:00 for three real hours."""
        night = tariff(element(("TIME", "1.00", 1, None), end_time="03:00"), element(("TIME", "2.00", 1, None)))
        cdr = price_session(night, session(local("2024-10-27 01:00"), charging_minutes=240))
        assert cdr.total_time_s == 4 * 3600
        assert cost(cdr.total_time_cost) == ("5.00", "5.00")

    def test_dates_are_local_and_end_date_is_exclusive(self):
        promo = tariff(
            element(("ENERGY", "0.10", 1, None), start_date="2024-03-06", end_date="2024-03-07"),
            element(("ENERGY", "0.40", 1, None)),
        )
        cdr = price_session(promo, session(local("2024-03-05 23:00"), charging_minutes=1560, kwh=26))  # 1 kWh an hour
        assert cost(cdr.total_energy_cost) == ("3.20", "3.20")  # 24 kWh on the 6th at 0.10, 1 on each side at 0.40


class TestMeter:
    def test_a_meter_reset_never_makes_energy_negative(self):
        start = local("2024-03-05 10:00")
        readings = tuple(
            MeterReading(start + timedelta(minutes=m), wh) for m, wh in [(0, 0), (20, 5000), (40, 1000), (60, 3000)]
        )
        cdr = price_session(
            example("tariff_8_simple_025kwh"),
            SessionTimeline(start, start + timedelta(hours=1), "Europe/Berlin", readings),
        )
        assert cdr.total_energy_wh == 7000  # 5 kWh, the drop counts 0, then 2 kWh from the new value
        assert cost(cdr.total_cost) == ("1.75", "1.93")
        assert all(p.volume("ENERGY") >= 0 for p in cdr.charging_periods)

    def test_zero_energy_costs_only_the_start_fee(self):
        cdr = price_session(
            example("tariff_9_025kwh_start"), session(local("2024-03-05 10:00"), charging_minutes=30, kwh=0)
        )
        assert cost(cdr.total_energy_cost) == ("0.00", "0.00")
        assert cost(cdr.total_cost) == ("0.50", "0.60")

    def test_no_readings_at_all(self):
        start = local("2024-03-05 10:00")
        cdr = price_session(
            example("tariff_10_025kwh_parking_start"),
            SessionTimeline(start, start + timedelta(minutes=30), "Europe/Berlin"),
        )
        assert cdr.total_energy_wh == 0 and cost(cdr.total_cost) == ("0.50", "0.60")

    def test_energy_restrictions_split_where_the_meter_crosses_them(self):
        tiered = tariff(element(("ENERGY", "0.30", 1, None), max_kwh=10), element(("ENERGY", "0.20", 1, None)))
        cdr = price_session(tiered, session(local("2024-03-05 10:00"), charging_minutes=90, kwh=15))
        assert cost(cdr.total_energy_cost) == ("4.00", "4.00")
        assert cdr.charging_periods[1].start_date_time == utc("2024-03-05 10:00")  # 10 of 15 kWh after 60 of 90 minutes

    def test_current_restriction_without_current_readings_falls_through(self):
        cdr = price_session(
            example("tariff_4_complex"), session(local("2024-03-04 10:00"), charging_minutes=60, kwh=10)
        )
        assert cost(cdr.total_time_cost) == ("0.00", "0.00")  # every TIME element needs a current
        assert cost(cdr.total_cost) == ("2.50", "2.88")


class TestRestrictionsMatchingNothing:
    def test_a_dimension_no_element_matches_costs_nothing(self):
        night_only = tariff(element(("ENERGY", "0.25", 1, None), start_time="02:00", end_time="04:00"))
        cdr = price_session(night_only, session(local("2024-03-05 10:00"), charging_minutes=60, kwh=20))
        assert cost(cdr.total_cost) == ("0.00", "0.00")
        assert cdr.charging_periods[0].volume("ENERGY") == 20


class TestStepSizeOfMod_Cdrs:
    """The step_size examples of mod_cdrs.asciidoc (2.2.1-d2), which mod_tariffs refers to."""

    def test_charging_is_not_rounded_when_parking_follows(self):
        both = tariff(element(("TIME", "6.00", 300, None), ("PARKING_TIME", "6.00", 300, None)))
        cdr = price_session(both, session(local("2024-03-05 10:00"), charging_minutes=21, kwh=5, parking_minutes=7))
        assert cost(cdr.total_time_cost) == ("2.10", "2.10")  # 21 minutes, not 25
        assert cost(cdr.total_parking_cost) == ("1.00", "1.00")  # 10 minutes for 7

    def test_energy_rounds_the_session_total_at_the_last_price(self):
        """4.3 kWh before 17:00 at 0.20 and 1.1 after at 0.27, step 500 Wh: 5.4 becomes 5.5 kWh."""
        evening = tariff(
            element(("ENERGY", "0.20", 500, None), end_time="17:00"), element(("ENERGY", "0.27", 500, None))
        )
        start = local("2024-03-05 16:00")
        timeline = readings_session(start, [(60, 4300, None), (60, 5400, None)])
        cdr = price_session(evening, timeline)
        assert cost(cdr.total_energy_cost) == ("1.18", "1.18")  # 0.86 + 1.2 kWh × 0.27

    def test_time_rounds_the_session_total_not_the_part_after_the_switch(self):
        """6 minutes before 17:00 at €5/h, 22 after at €7/h, steps of 10 minutes: 24 minutes billed after 17:00."""
        evening = tariff(element(("TIME", "5.00", 600, None), end_time="17:00"), element(("TIME", "7.00", 600, None)))
        cdr = price_session(evening, session(local("2024-03-05 16:54"), charging_minutes=28, kwh=3))
        assert cost(cdr.total_time_cost) == ("3.30", "3.30")  # 0.50 + 2.80

    def test_only_the_parking_total_is_rounded(self):
        """21 minutes charging at €1/h, 16 parked at €2/h, steps of 10 minutes: parking billed as 20."""
        both = tariff(element(("TIME", "1.00", 600, None), ("PARKING_TIME", "2.00", 600, None)))
        cdr = price_session(both, session(local("2024-03-05 10:00"), charging_minutes=21, kwh=5, parking_minutes=16))
        assert cost(cdr.total_time_cost) == ("0.35", "0.35")
        assert cost(cdr.total_parking_cost) == ("0.67", "0.67")
        assert cost(cdr.total_cost) == ("1.02", "1.02")


class TestSessionShapes:
    def test_state_changes_back_and_forth(self):
        start = local("2024-03-05 10:00")
        changes = (StateChange(start + timedelta(minutes=30), False), StateChange(start + timedelta(minutes=45), True))
        timeline = SessionTimeline(start, start + timedelta(hours=1), "Europe/Berlin", state_changes=changes)
        cdr = price_session(example("tariff_13_simple_3hour_5parking"), timeline)
        assert cdr.total_parking_time_s == 15 * 60
        assert cost(cdr.total_time_cost) == ("2.25", "2.48")  # 45 charging minutes at €3/h, not rounded
        assert cost(cdr.total_parking_cost) == ("1.25", "1.50")

    def test_an_instant_session_still_pays_its_start_fee(self):
        start = local("2024-03-05 10:00")
        cdr = price_session(example("tariff_9_025kwh_start"), SessionTimeline(start, start, "Europe/Berlin"))
        assert cost(cdr.total_cost) == ("0.50", "0.60") and len(cdr.charging_periods) == 1

    def test_an_expired_reservation_has_only_reservation_periods(self):
        cdr = price_session(
            example("tariff_17_reservation_with_expire_fee"), expired_reservation(local("2024-03-05 10:00"), minutes=60)
        )
        assert [d.type for p in cdr.charging_periods for d in p.dimensions] == ["RESERVATION_TIME"]
        assert cdr.start_date_time == utc("2024-03-05 09:00") and cdr.total_time_s == 0

    def test_min_price_without_incl_vat_limits_only_excl_vat(self):
        cheap = tariff(element(("ENERGY", "0.25", 1, "10")), min_price={"excl_vat": "1.00"})
        cdr = price_session(cheap, session(local("2024-03-05 10:00"), charging_minutes=10, kwh=1))
        assert cost(cdr.total_cost) == ("1.00", "0.28")

    def test_timestamps_must_be_aware(self):
        with pytest.raises(ValueError):
            SessionTimeline(datetime(2024, 3, 5, 10), datetime(2024, 3, 5, 11), "Europe/Berlin")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_ocpi_json_round_trips(name):
    parsed = example(name)
    assert tariff_from_ocpi(tariff_to_ocpi(parsed)) == parsed


def test_json_of_a_result_is_exact_text():
    cdr = price_session(
        example("tariff_10_025kwh_parking_start"),
        session(local("2024-03-05 10:00"), charging_minutes=90, kwh=20, parking_minutes=40),
    )
    data = cdr.to_json()
    assert data["total_cost"] == {"excl_vat": "7.00", "incl_vat": "7.90"}
    assert data["total_energy"] == "20" and data["total_time"] == "2.166667"
    assert data["charging_periods"][1]["start_date_time"] == "2024-03-05T10:30:00Z"
    assert cdr.total_energy == Decimal(20)
