"""The schedule planner on worked examples checked by hand, and its limits on random sites."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcharging.schedule import Car, Horizon, Site, plan

HOURLY = Horizon(slots=16, slot_minutes=60)  # hour slots keep the hand arithmetic short


def test_one_car_charges_in_the_cheap_night_and_is_full_by_departure():
    # 16 h from 18:00: the building draws 30 kW in the evening and morning, nothing at night; the
    # night is cheaper, its second half cheapest. The car (11 kW, 40 kWh, gone at 06:00) fits into
    # the four cheapest hours (44 kWh) without raising the site's 30 kW peak.
    base = (30.0,) * 4 + (0.0,) * 8 + (30.0,) * 4
    prices = (0.30,) * 4 + (0.15,) * 4 + (0.10,) * 4 + (0.30,) * 4
    site = Site(limit_kw=(60.0,) * 16, price_per_kwh=prices, base_kw=base)

    result = plan(site, [Car("ev", max_kw=11, departure=12, energy_kwh=40)], horizon=HOURLY)

    assert result.path == "milp"
    (car,) = result.cars
    assert car.delivered_kwh == pytest.approx(40, abs=0.01)
    assert car.shortfall_kwh == 0
    assert all(kw == 0 for slot, kw in enumerate(car.kw) if not 8 <= slot < 12)
    assert result.cost == pytest.approx(40 * 0.10, abs=0.01)
    assert result.peak_kw == pytest.approx(30, abs=0.01)


def test_two_cars_share_a_tight_limit_both_full_and_the_peak_flattened():
    # 20 kW for 8 h; A needs 40 kWh by 4 h, B needs 40 kWh by 8 h: 80 kWh in 8 h is 10 kW on
    # average, and a plan of 10 kW throughout (A gets it all first) reaches it.
    site = Site(limit_kw=(20.0,) * 8)
    cars = [Car("a", max_kw=11, departure=4, energy_kwh=40), Car("b", max_kw=11, energy_kwh=40)]

    result = plan(site, cars, horizon=Horizon(slots=8, slot_minutes=60))

    assert [c.delivered_kwh for c in result.cars] == [pytest.approx(40, abs=0.01)] * 2
    assert result.peak_kw == pytest.approx(10, abs=0.01)
    assert max(result.site_kw) <= 20 + 1e-6


def test_an_impossible_need_is_reported_as_shortfall_and_the_others_are_unharmed():
    # C can take at most 2 h × 7 kW = 14 kWh of its 30; D gets its 20 kWh all the same.
    site = Site(limit_kw=(22.0,) * 8)
    cars = [Car("c", max_kw=7, departure=2, energy_kwh=30), Car("d", max_kw=11, energy_kwh=20)]

    result = plan(site, cars, horizon=Horizon(slots=8, slot_minutes=60))

    c, d = result.cars
    assert c.delivered_kwh == pytest.approx(14, abs=0.01)
    assert c.shortfall_kwh == pytest.approx(16, abs=0.01)
    assert d.delivered_kwh == pytest.approx(20, abs=0.01) and d.shortfall_kwh == 0


def test_a_car_gets_zero_or_at_least_its_minimum():
    # 5 kWh over 8 h would be 0.625 kW flat; with a 4.2 kW minimum the car must charge in bursts.
    site = Site(limit_kw=(11.0,) * 8)
    result = plan(site, [Car("ev", max_kw=11, min_kw=4.2, energy_kwh=5)], horizon=Horizon(slots=8, slot_minutes=60))

    (car,) = result.cars
    assert result.path == "milp"
    assert all(kw == 0 or kw >= 4.2 - 1e-6 for kw in car.kw)
    assert car.delivered_kwh == pytest.approx(5, abs=0.01)


def test_no_time_for_the_solver_falls_back_to_earliest_departure_first_within_the_limits():
    site = Site(limit_kw=(16.0,) * 8)
    cars = [
        Car("late", max_kw=11, min_kw=4, energy_kwh=30),
        Car("early", max_kw=11, min_kw=4, departure=3, energy_kwh=22),
    ]

    result = plan(site, cars, horizon=Horizon(slots=8, slot_minutes=60), time_limit_s=0)

    assert result.path == "fallback"
    assert "time limit" in result.reason
    late, early = result.cars
    assert early.kw[:3] == (11.0, 11.0, 0.0)  # full after two hours at its maximum
    assert late.kw[:4] == (5.0, 5.0, 11.0, 9.0)  # the rest of the limit, then its maximum
    assert late.delivered_kwh == pytest.approx(30) and early.delivered_kwh == pytest.approx(22)
    assert max(result.site_kw) <= 16


def test_the_lp_relaxation_is_rounded_to_zero_or_the_minimum_and_keeps_the_energy():
    site = Site(limit_kw=(11.0,) * 8)
    result = plan(
        site, [Car("ev", max_kw=11, min_kw=4.2, energy_kwh=5)], horizon=Horizon(slots=8, slot_minutes=60), relax=True
    )

    assert result.path == "lp"
    assert all(kw == 0 or kw >= 4.2 - 1e-6 for kw in result.cars[0].kw)
    assert result.cars[0].delivered_kwh == pytest.approx(5, abs=0.01)  # the rounding MILP kept the energy


SLOTS = 12


@st.composite
def sites(draw):
    cars = []
    for n in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, SLOTS - 1))
        min_kw = draw(st.sampled_from([0.0, 1.4, 4.1]))
        cars.append(
            Car(
                f"car{n}",
                max_kw=draw(st.floats(min_kw + 1, 22)),
                min_kw=min_kw,
                available_from=start,
                departure=draw(st.none() | st.integers(start, SLOTS)),
                energy_kwh=draw(st.none() | st.floats(0, 60)),
                priority=draw(st.sampled_from([1.0, 2.0])),
            )
        )
    limits = tuple(draw(st.lists(st.floats(-5, 40), min_size=SLOTS, max_size=SLOTS)))
    prices = tuple(draw(st.lists(st.floats(0, 1), min_size=SLOTS, max_size=SLOTS)))
    return Site(limit_kw=limits, price_per_kwh=prices), cars


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=sites(), time_limit_s=st.sampled_from([0.0, 2.0]), relax=st.booleans())
def test_a_plan_keeps_to_the_site_limit_each_cars_maximum_availability_and_need(case, time_limit_s, relax):
    site, cars = case
    horizon = Horizon(slots=SLOTS, slot_minutes=30)

    result = plan(site, cars, horizon=horizon, time_limit_s=time_limit_s, relax=relax)

    for slot, total in enumerate(result.site_kw):
        assert total <= max(site.limit_kw[slot], 0) + 1e-6
    for car, planned in zip(cars, result.cars, strict=True):
        departure = SLOTS if car.departure is None else car.departure
        for slot, kw in enumerate(planned.kw):
            assert kw <= car.max_kw + 1e-9
            assert kw == 0 or car.available_from <= slot < departure
            assert kw == 0 or kw >= car.min_kw - 1e-6
        if car.energy_kwh is not None:
            assert planned.delivered_kwh <= car.energy_kwh + 1e-6
