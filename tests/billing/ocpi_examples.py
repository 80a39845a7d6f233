"""The example tariffs of OCPI 2.2.1-d2, re-expressed with small builders of our own.

These are the tariffs the spec's worked examples (mod_tariffs) price sessions
with: same ids, currency, prices, VAT, step sizes, restrictions and price
limits, written straight as billing.pricing values. tests/billing/
test_spec_examples.py checks our engine against the totals the spec states.
"""

import datetime as dt
from decimal import Decimal

from billing.pricing import (
    DayOfWeek,
    Dimension,
    DisplayText,
    Price,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
)

WORKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
WEEKEND = ("SATURDAY", "SUNDAY")


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _component(dimension: Dimension, price, vat, step: int) -> PriceComponent:
    return PriceComponent(type=dimension, price=_dec(price), step_size=step, vat=_dec(vat))


def energy(price, vat=None, step: int = 1) -> PriceComponent:
    """Per kWh; `step` in Wh."""
    return _component(Dimension.ENERGY, price, vat, step)


def time(price, vat=None, step: int = 1) -> PriceComponent:
    """Per hour of charging; `step` in seconds."""
    return _component(Dimension.TIME, price, vat, step)


def parking(price, vat=None, step: int = 1) -> PriceComponent:
    """Per hour of parking; `step` in seconds."""
    return _component(Dimension.PARKING_TIME, price, vat, step)


def flat(price, vat=None, step: int = 1) -> PriceComponent:
    return _component(Dimension.FLAT, price, vat, step)


def _clock(value: str | None) -> dt.time | None:
    return None if value is None else dt.time.fromisoformat(value)


def element(*components, start_time=None, end_time=None, day_of_week=(), reservation=None, **limits) -> TariffElement:
    """One element; `limits` are the numeric restrictions (max_power=16, max_duration=1800, ...)."""
    numeric = {name: (value if name.endswith("_duration") else _dec(value)) for name, value in limits.items()}
    restrictions = Restrictions(
        start_time=_clock(start_time),
        end_time=_clock(end_time),
        day_of_week=frozenset(DayOfWeek(d) for d in day_of_week),
        reservation=ReservationRestriction(reservation) if reservation else None,
        **numeric,
    )
    return TariffElement(price_components=tuple(components), restrictions=restrictions)


def _limit(value) -> Price | None:
    """A price limit given as (excl_vat, incl_vat)."""
    return None if value is None else Price(excl_vat=_dec(value[0]), incl_vat=_dec(value[1]))


def tariff(
    id: str, *elements, currency="EUR", min_price=None, max_price=None, alt_text=(), end_date_time=None, **fields
) -> Tariff:
    return Tariff(
        id=id,
        currency=currency,
        elements=tuple(elements),
        min_price=_limit(min_price),
        max_price=_limit(max_price),
        alt_text=tuple(DisplayText(language, text) for language, text in alt_text),
        end_date_time=None if end_date_time is None else dt.datetime.fromisoformat(end_date_time),
        **fields,
    )


_START_AND_ENERGY = element(flat("0.50", vat=20), energy("0.25", vat=10))

EXAMPLES: dict[str, Tariff] = {
    "tariff_8_simple_025kwh": tariff("16", element(energy("0.25", vat=10))),
    "tariff_9_025kwh_start": tariff("17", _START_AND_ENERGY),
    "tariff_12_025kwh_min_price": tariff("20", element(energy("0.25", vat=10)), min_price=("0.50", "0.55")),
    "tariff_10_025kwh_parking_start": tariff(
        "18", element(flat("0.50", vat=20), energy("0.25", vat=10), parking("2.00", vat=20, step=900))
    ),
    "tariff_6_025kwh_start_max_price": tariff(
        "16", _START_AND_ENERGY, max_price=("10.00", "11.00"), end_date_time="2019-06-30T23:59:59+00:00"
    ),
    "tariff_1_simple_2hour": tariff("12", element(time("2.00", vat=10, step=60))),
    "tariff_13_simple_3hour_5parking": tariff(
        "21", element(time("3.00", vat=10, step=60), parking("5.00", vat=20, step=300))
    ),
    "tariff_2_alt_text": tariff(
        "12",
        element(time("1.90", vat="5.2", step=300)),
        type="AD_HOC_PAYMENT",
        alt_text=[("en", "2.00 euro p/hour, VAT included."), ("nl", "2.00 euro per uur, incl. BTW.")],
    ),
    "tariff_11_not_possible_alt_text": tariff(
        "19",
        element(flat("0.40", vat=25), time("1.90", vat="5.2", step=300)),
        type="AD_HOC_PAYMENT",
        alt_text=[
            ("en", "2.00 euro p/hour; start fee 0.25 euro by debit card, 0.50 euro by credit card; VAT included."),
            ("nl", "2.00 euro per uur; starttarief 0,25 euro met bankpas, 0,50 euro met creditkaart; incl. BTW."),
        ],
    ),
    "tariff_3_alt_url": tariff(
        "13",
        element(flat("0.50", vat=20), energy("0.25", vat=10, step=100)),
        type="PROFILE_CHEAP",
        alt_url="https://company.com/tariffs/13",
    ),
    "tariff_4_complex": tariff(
        "14",
        element(flat("2.50", vat=15)),
        element(time("1.00", vat=20, step=900), max_current=32),
        element(time("2.00", vat=20, step=600), min_current=32, day_of_week=WORKDAYS),
        element(time("1.25", vat=20, step=600), min_current=32, day_of_week=WEEKEND),
        element(parking("5.00", vat=10, step=300), start_time="09:00", end_time="18:00", day_of_week=WORKDAYS),
        element(parking("6.00", vat=10, step=300), start_time="10:00", end_time="17:00", day_of_week=["SATURDAY"]),
        type="REGULAR",
        alt_url="https://company.com/tariffs/14",
    ),
    "tariff_5_free_of_charge": tariff("15", element(flat("0.00", step=0))),
    "tariff_15_reservation_5_euro_per_hour": tariff(
        "20", element(time("5.00", vat=20, step=60), reservation="RESERVATION"), _START_AND_ENERGY
    ),
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour": tariff(
        "20",
        element(flat("2.00", vat=20), time("5.00", vat=20, step=300), reservation="RESERVATION"),
        _START_AND_ENERGY,
    ),
    "tariff_17_reservation_with_expire_fee": tariff(
        "20",
        element(flat("4.00", vat=20), reservation="RESERVATION_EXPIRES"),
        element(time("2.00", vat=20, step=600), reservation="RESERVATION"),
        _START_AND_ENERGY,
    ),
    "tariff_18_reservation_with_expire_time": tariff(
        "20",
        element(time("6.00", vat=20, step=600), reservation="RESERVATION_EXPIRES"),
        element(time("3.00", vat=20, step=600), reservation="RESERVATION"),
        _START_AND_ENERGY,
    ),
    "tariff_14_step_size": tariff(
        "22",
        element(time("1.20", step=1800), parking("1.00", step=900), start_time="00:00", end_time="17:00"),
        element(time("2.40", step=900), parking("1.00", step=900), start_time="17:00", end_time="20:00"),
        element(time("2.40", step=900), start_time="20:00", end_time="00:00"),
    ),
    "tariffrestriction_example_max_power": tariff(
        "1",
        element(energy("0.20", vat=20), max_power=16),
        element(energy("0.35", vat=20), max_power=32),
        element(energy("0.50", vat=20)),
        type="REGULAR",
    ),
    "tariffrestriction_example_max_duration": tariff(
        "2",
        element(energy("0.00", vat=20), max_duration=1800),
        element(energy("0.25", vat=20), max_duration=3600),
        element(energy("0.40", vat=20)),
        type="REGULAR",
    ),
    "tariff_put_example": tariff("12", element(time("2.00", vat=10, step=300))),
}


def example(name: str) -> Tariff:
    """The named example tariff."""
    return EXAMPLES[name]
