"""A stored Tariff as the pricing engine's frozen value.

Reads `elements` and their `price_components` through the related managers,
so a caller that prefetched them (selectors do) pays no further query.
"""

from billing import models, pricing
from billing.pricing.ocpi import parse_time_of_day

PREFETCH = ("elements__price_components",)


def pricing_tariff(tariff: models.Tariff) -> pricing.Tariff:
    return pricing.Tariff(
        id=tariff.tariff_id,
        currency=tariff.currency,
        elements=tuple(_element(e) for e in sorted(tariff.elements.all(), key=lambda e: (e.position, e.id))),
        min_price=_limit(tariff.min_price_excl_vat, tariff.min_price_incl_vat),
        max_price=_limit(tariff.max_price_excl_vat, tariff.max_price_incl_vat),
        type=tariff.type,
        alt_text=tuple(pricing.DisplayText(t["language"], t["text"]) for t in tariff.alt_text),
        alt_url=tariff.alt_url,
        start_date_time=tariff.start_date_time,
        end_date_time=tariff.end_date_time,
        last_updated=tariff.updated_at,
    )


def _limit(excl_vat, incl_vat) -> pricing.Price | None:
    return None if excl_vat is None else pricing.Price(excl_vat=excl_vat, incl_vat=incl_vat)


def _element(element: models.TariffElement) -> pricing.TariffElement:
    components = tuple(
        pricing.PriceComponent(type=pricing.Dimension(c.type), price=c.price, step_size=c.step_size, vat=c.vat)
        for c in sorted(element.price_components.all(), key=lambda c: c.id)
    )
    return pricing.TariffElement(price_components=components, restrictions=_restrictions(element))


def _restrictions(e: models.TariffElement) -> pricing.Restrictions:
    return pricing.Restrictions(
        start_time=parse_time_of_day(e.start_time) if e.start_time else None,
        end_time=parse_time_of_day(e.end_time) if e.end_time else None,
        start_date=e.start_date,
        end_date=e.end_date,
        min_kwh=e.min_kwh,
        max_kwh=e.max_kwh,
        min_current=e.min_current,
        max_current=e.max_current,
        min_power=e.min_power,
        max_power=e.max_power,
        min_duration=e.min_duration,
        max_duration=e.max_duration,
        day_of_week=frozenset(pricing.DayOfWeek(d) for d in e.day_of_week),
        reservation=pricing.ReservationRestriction(e.reservation) if e.reservation else None,
    )
