"""A tariff in one line, as a driver scanning a station list reads it.

"0.39 EUR/kWh · 0.05 EUR/min after 60 min · 1.00 EUR start": prices incl.
VAT (what drivers pay), each with the restriction that makes it apply, in
the tariff's own order per dimension. Reservation prices are left out; they
are not what charging here costs.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billing.pricing import DayOfWeek, Dimension, PriceComponent, Restrictions, Tariff

_CENT = Decimal("0.01")
_MILL = Decimal("0.001")
_DAY_NAMES = {d: d.value[:3].title() for d in DayOfWeek}
_ORDER = (Dimension.ENERGY, Dimension.TIME, Dimension.PARKING_TIME, Dimension.FLAT)


@dataclass(frozen=True)
class TariffSummary:
    tariff_id: str
    currency: str
    text: str
    energy_per_kwh: Decimal | None  # incl. VAT, the first energy price listed
    time_per_hour: Decimal | None  # incl. VAT, charging time
    flat: Decimal | None  # incl. VAT, once per session


def summarise(tariff: Tariff) -> TariffSummary:
    elements = [e for e in tariff.elements if e.restrictions.reservation is None]
    listed = [(c, e.restrictions) for d in _ORDER for e in elements for c in e.price_components if c.type == d]
    phrases = [_phrase(c, r, tariff.currency) for c, r in listed if c.price > 0 or r != Restrictions()]
    return TariffSummary(
        tariff_id=tariff.id,
        currency=tariff.currency,
        text=" · ".join(phrases) if phrases else "free of charge",
        energy_per_kwh=_first_price(listed, Dimension.ENERGY),
        time_per_hour=_first_price(listed, Dimension.TIME),
        flat=_first_price(listed, Dimension.FLAT),
    )


def _first_price(listed, dimension: Dimension) -> Decimal | None:
    return next((c.with_vat(c.price) for c, _ in listed if c.type == dimension), None)


def _phrase(component: PriceComponent, restrictions: Restrictions, currency: str) -> str:
    price = component.with_vat(component.price)
    amount = {
        Dimension.ENERGY: f"{_unit_price(price)} {currency}/kWh",
        Dimension.TIME: _per_time(price, currency),
        Dimension.PARKING_TIME: f"{_per_time(price, currency)} parking",
        Dimension.FLAT: f"{_money(price)} {currency} start",
    }[component.type]
    condition = ", ".join(_conditions(restrictions))
    return f"{amount} {condition}" if condition else amount


def _per_time(per_hour: Decimal, currency: str) -> str:
    """Per minute when that is a whole number of cents (drivers think in minutes), else per hour.

    Judged to 1/100 of a cent, so 2.5210 excl. 19 % VAT (2.99999 an hour) reads 0.05 EUR/min.
    """
    per_minute = (per_hour / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if per_minute == per_minute.quantize(_CENT):
        return f"{_money(per_minute)} {currency}/min"
    return f"{_unit_price(per_hour)} {currency}/h"


def _conditions(r: Restrictions) -> list[str]:
    parts = [
        _span(
            r.start_time and r.start_time.strftime("%H:%M"),
            r.end_time and r.end_time.strftime("%H:%M"),
            "–",
            "from ",
            "until ",
        ),
        _days(r.day_of_week),
        _span(
            r.start_date and r.start_date.isoformat(), r.end_date and r.end_date.isoformat(), " to ", "from ", "until "
        ),
        _bounds(r.min_duration and r.min_duration // 60, r.max_duration and r.max_duration // 60, "min"),
        _bounds(r.min_kwh, r.max_kwh, "kWh"),
        _levels(r.min_power, r.max_power, "kW"),
        _levels(r.min_current, r.max_current, "A"),
    ]
    return [p for p in parts if p]


def _span(start: str | None, end: str | None, joiner: str, since: str, until: str) -> str:
    if start and end:
        return f"{start}{joiner}{end}"
    return f"{since}{start}" if start else (f"{until}{end}" if end else "")


def _bounds(low, high, unit: str) -> str:
    """Session progress: "after 60 min", "first 30 min"."""
    parts = ([f"after {_number(low)} {unit}"] if low else []) + ([f"first {_number(high)} {unit}"] if high else [])
    return " and ".join(parts)


def _levels(low, high, unit: str) -> str:
    parts = ([f"from {_number(low)} {unit}"] if low is not None else []) + (
        [f"below {_number(high)} {unit}"] if high is not None else []
    )
    return " ".join(parts)


def _days(days: frozenset[DayOfWeek]) -> str:
    """Runs of consecutive days as ranges: Mon–Fri, Sat–Sun."""
    runs: list[list[DayOfWeek]] = []
    for day in DayOfWeek:
        if day not in days:
            continue
        if runs and list(DayOfWeek).index(runs[-1][-1]) + 1 == list(DayOfWeek).index(day):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(_DAY_NAMES[r[0]] if len(r) == 1 else f"{_DAY_NAMES[r[0]]}–{_DAY_NAMES[r[-1]]}" for r in runs)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def _unit_price(amount: Decimal) -> str:
    """Cents, or tenths of a cent where the price has them (0.275 EUR/kWh is not 0.28)."""
    mill = amount.quantize(_MILL, rounding=ROUND_HALF_UP)
    return _money(mill) if mill == mill.quantize(_CENT) else str(mill)


def _number(value) -> str:
    return format(Decimal(value).normalize(), "f")
