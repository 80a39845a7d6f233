"""Properties that must hold for any tariff and any session (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.pricing import MeterReading, SessionTimeline, StateChange, price_session, tariff_from_ocpi

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]
money = st.decimals(min_value=0, max_value=10, places=2)
vat = st.one_of(st.none(), st.decimals(min_value=0, max_value=27, places=1))
step = st.sampled_from([0, 1, 60, 300, 900, 100, 500])
hh_mm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def restrictions(draw) -> dict:
    options = {
        "start_time": hh_mm,
        "end_time": hh_mm,
        "day_of_week": st.lists(
            st.sampled_from(["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]),
            min_size=1,
            unique=True,
        ),
        "min_kwh": st.integers(0, 40),
        "max_kwh": st.integers(1, 60),
        "min_power": st.integers(0, 50),
        "max_power": st.integers(1, 150),
        "min_duration": st.integers(0, 7200),
        "max_duration": st.integers(1, 14400),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    return {name: draw(options[name]) for name in chosen}


@st.composite
def tariffs(draw, dimensions=("ENERGY", "FLAT", "TIME", "PARKING_TIME")) -> dict:
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        types = draw(st.lists(st.sampled_from(dimensions), min_size=1, unique=True))
        components = [{"type": t, "price": str(draw(money)), "step_size": draw(step), **_vat(draw(vat))} for t in types]
        elements.append({"price_components": components, "restrictions": draw(restrictions())})
    return {"id": "P", "currency": "EUR", "elements": elements}


def _vat(value):
    return {} if value is None else {"vat": str(value)}


@st.composite
def timelines(draw, energy_scale: int = 1) -> SessionTimeline:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    moment, register, readings = start, draw(st.integers(0, 10**6)), []
    for _ in range(draw(st.integers(0, 6))):
        readings.append(MeterReading(moment, register, draw(st.one_of(st.none(), st.integers(0, 150_000)))))
        moment += timedelta(seconds=draw(st.integers(0, 4 * 3600)))
        register += draw(st.integers(-2000, 30_000)) * energy_scale  # a drop is a meter reset
    end = moment + timedelta(seconds=draw(st.integers(0, 3600)))
    changes = tuple(
        StateChange(start + (end - start) * draw(st.floats(0, 1)), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 3)))
    )
    return SessionTimeline(start, end, draw(st.sampled_from(ZONES)), tuple(readings), changes)


@settings(max_examples=150, deadline=None, database=None)
@given(tariffs(), timelines())
def test_costs_are_never_negative(tariff_data, timeline):
    cdr = price_session(tariff_from_ocpi(tariff_data), timeline)
    prices = [cdr.total_cost, cdr.total_fixed_cost, cdr.total_energy_cost, cdr.total_time_cost, cdr.total_parking_cost]
    assert all(p.excl_vat >= 0 and p.incl_vat >= p.excl_vat for p in prices)
    assert cdr.total_energy_wh >= 0
    assert all(
        d.volume >= 0
        for p in cdr.charging_periods
        for d in p.dimensions
        if d.type in ("ENERGY", "TIME", "PARKING_TIME")
    )


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.data(), st.integers(0, 100_000), st.integers(0, 100_000), st.sampled_from([1, 10, 100, 500, 1000]), money, vat
)
def test_an_energy_only_tariff_costs_more_for_more_energy(data, first_wh, second_wh, step_size, price, vat_percent):
    tariff = tariff_from_ocpi(
        {
            "id": "E",
            "currency": "EUR",
            "elements": [
                {
                    "price_components": [
                        {"type": "ENERGY", "price": str(price), "step_size": step_size, **_vat(vat_percent)}
                    ]
                }
            ],
        }
    )
    start = data.draw(
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 1, 1), timezones=st.just(UTC))
    )
    end = start + timedelta(minutes=data.draw(st.integers(1, 600)))

    def cost(wh: int):
        timeline = SessionTimeline(start, end, "Europe/Berlin", (MeterReading(start, 0), MeterReading(end, wh)))
        return price_session(tariff, timeline).total_cost

    low, high = sorted([first_wh, second_wh])
    assert cost(low).excl_vat <= cost(high).excl_vat
    assert cost(low).incl_vat <= cost(high).incl_vat


@settings(max_examples=150, deadline=None, database=None)
@given(tariffs(), timelines(), money, money)
def test_the_total_stays_between_min_price_and_max_price(tariff_data, timeline, a, b):
    low, high = sorted([a, b])
    limits = {
        "min_price": {"excl_vat": str(low), "incl_vat": str(low * Decimal("1.2"))},
        "max_price": {"excl_vat": str(high), "incl_vat": str(high * Decimal("1.2"))},
    }
    cdr = price_session(tariff_from_ocpi({**tariff_data, **limits}), timeline)
    assert low <= cdr.total_cost.excl_vat <= high
    assert (
        (low * Decimal("1.2")).quantize(Decimal("0.01"))
        <= cdr.total_cost.incl_vat
        <= (high * Decimal("1.2")).quantize(Decimal("0.01"))
    )
