"""billing's Tariff as an OCPI 2.2.1 Tariff object.

The stored tariff is read once, into the pricing engine's frozen value
(billing.tariffs.pricing_tariff), so partners see exactly what the engine
prices: same element order, components, restrictions, limits. Numbers stay
Decimal (JSON numbers on the wire, never float arithmetic here); optional
fields that are unset are left out rather than sent as null.
"""

from typing import Any

from billing import models, pricing
from billing.tariffs import pricing_tariff
from roaming.mapping.timestamps import latest, ocpi_datetime

_NUMBER_RESTRICTIONS = ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power")
_INT_RESTRICTIONS = ("min_duration", "max_duration")


def tariff_object(tariff: models.Tariff, *, country_code: str, party_id: str) -> dict[str, Any]:
    """Prefetch `elements__price_components` when mapping many."""
    return priced_tariff_object(pricing_tariff(tariff), country_code=country_code, party_id=party_id)


def priced_tariff_object(value: pricing.Tariff, *, country_code: str, party_id: str) -> dict[str, Any]:
    """The engine's tariff value as OCPI: a stored tariff now, or one as it priced a session (a CDR's)."""
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": value.id,
        "currency": value.currency,
    }
    optional: dict[str, Any] = {
        "type": value.type,
        "tariff_alt_text": [{"language": t.language, "text": t.text} for t in value.alt_text],
        "tariff_alt_url": value.alt_url,
        "min_price": _price(value.min_price),
        "max_price": _price(value.max_price),
        "start_date_time": value.start_date_time and ocpi_datetime(value.start_date_time),
        "end_date_time": value.end_date_time and ocpi_datetime(value.end_date_time),
    }
    data.update({name: v for name, v in optional.items() if v})
    data["elements"] = [_element(e) for e in value.elements]
    data["last_updated"] = ocpi_datetime(latest(value.last_updated))
    return data


def _price(price: pricing.Price | None) -> dict[str, Any] | None:
    if price is None:
        return None
    data: dict[str, Any] = {"excl_vat": price.excl_vat}
    if price.incl_vat is not None:
        data["incl_vat"] = price.incl_vat
    return data


def _element(element: pricing.TariffElement) -> dict[str, Any]:
    data: dict[str, Any] = {"price_components": [_component(c) for c in element.price_components]}
    restrictions = _restrictions(element.restrictions)
    if restrictions:
        data["restrictions"] = restrictions
    return data


def _component(component: pricing.PriceComponent) -> dict[str, Any]:
    data: dict[str, Any] = {"type": str(component.type), "price": component.price, "step_size": component.step_size}
    if component.vat is not None:  # absent means "no VAT applies", which OCPI tells apart from 0 %
        data["vat"] = component.vat
    return data


def _restrictions(r: pricing.Restrictions) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        if (at := getattr(r, name)) is not None:
            data[name] = at.strftime("%H:%M")
    for name in ("start_date", "end_date"):
        if (day := getattr(r, name)) is not None:
            data[name] = day.isoformat()
    for name in (*_NUMBER_RESTRICTIONS, *_INT_RESTRICTIONS):
        if (amount := getattr(r, name)) is not None:
            data[name] = amount
    if r.day_of_week:
        data["day_of_week"] = [str(d) for d in pricing.DayOfWeek if d in r.day_of_week]
    if r.reservation is not None:
        data["reservation"] = str(r.reservation)
    return data
