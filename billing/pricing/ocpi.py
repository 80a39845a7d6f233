"""OCPI 2.2.1 Tariff JSON to and from the engine's values.

Parsing accepts numbers as JSON gives them (int, float or Decimal) and turns
them into Decimal through their text, so 0.25 stays exactly 0.25. Fields the
engine does not use (country_code, party_id, energy_mix, ...) are ignored.
"""

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from billing.pricing.tariff import (
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

_DECIMAL_RESTRICTIONS = ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power")
_INT_RESTRICTIONS = ("min_duration", "max_duration")


def tariff_from_ocpi(data: Mapping[str, Any]) -> Tariff:
    return Tariff(
        id=str(data["id"]),
        currency=data["currency"],
        elements=tuple(_element(e) for e in data["elements"]),
        min_price=_price(data.get("min_price")),
        max_price=_price(data.get("max_price")),
        type=data.get("type"),
        alt_text=tuple(DisplayText(t["language"], t["text"]) for t in data.get("tariff_alt_text", ())),
        alt_url=data.get("tariff_alt_url", ""),
        start_date_time=_datetime(data.get("start_date_time")),
        end_date_time=_datetime(data.get("end_date_time")),
        last_updated=_datetime(data.get("last_updated")),
    )


def tariff_to_ocpi(tariff: Tariff) -> dict[str, Any]:
    """The tariff as OCPI JSON (numbers as strings, so no float ever touches money)."""
    data: dict[str, Any] = {
        "id": tariff.id,
        "currency": tariff.currency,
        "elements": [_element_json(e) for e in tariff.elements],
    }
    optional = {
        "type": tariff.type,
        "tariff_alt_text": [{"language": t.language, "text": t.text} for t in tariff.alt_text],
        "tariff_alt_url": tariff.alt_url,
        "min_price": _price_json(tariff.min_price),
        "max_price": _price_json(tariff.max_price),
        "start_date_time": _iso(tariff.start_date_time),
        "end_date_time": _iso(tariff.end_date_time),
        "last_updated": _iso(tariff.last_updated),
    }
    data.update({k: v for k, v in optional.items() if v})
    return data


def parse_time_of_day(value: str) -> time:
    """OCPI "HH:MM" (24 h, leading zeros) as a time; anything else is a ValueError."""
    if len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise ValueError(f"{value!r} is not a time of day as HH:MM")
    return time(int(value[:2]), int(value[3:]))


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _price(value: Mapping[str, Any] | None) -> Price | None:
    if value is None:
        return None
    return Price(excl_vat=_decimal(value["excl_vat"]), incl_vat=_optional_decimal(value.get("incl_vat")))


def _element(data: Mapping[str, Any]) -> TariffElement:
    components = tuple(
        PriceComponent(
            type=Dimension(c["type"]),
            price=_decimal(c["price"]),
            step_size=int(c["step_size"]),
            vat=_optional_decimal(c.get("vat")),
        )
        for c in data["price_components"]
    )
    return TariffElement(price_components=components, restrictions=_restrictions(data.get("restrictions") or {}))


def _restrictions(data: Mapping[str, Any]) -> Restrictions:
    values: dict[str, Any] = {name: _optional_decimal(data.get(name)) for name in _DECIMAL_RESTRICTIONS}
    values.update({name: data[name] for name in _INT_RESTRICTIONS if data.get(name) is not None})
    for name in ("start_time", "end_time"):
        if data.get(name):
            values[name] = parse_time_of_day(data[name])
    for name in ("start_date", "end_date"):
        if data.get(name):
            values[name] = date.fromisoformat(data[name])
    values["day_of_week"] = frozenset(DayOfWeek(d) for d in data.get("day_of_week", ()))
    if data.get("reservation"):
        values["reservation"] = ReservationRestriction(data["reservation"])
    return Restrictions(**values)


def _element_json(element: TariffElement) -> dict[str, Any]:
    components = []
    for c in element.price_components:
        component = {"type": str(c.type), "price": str(c.price), "step_size": c.step_size}
        if c.vat is not None:
            component["vat"] = str(c.vat)
        components.append(component)
    data: dict[str, Any] = {"price_components": components}
    restrictions = _restrictions_json(element.restrictions)
    if restrictions:
        data["restrictions"] = restrictions
    return data


def _restrictions_json(r: Restrictions) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        if getattr(r, name) is not None:
            data[name] = getattr(r, name).strftime("%H:%M")
    for name in ("start_date", "end_date"):
        if getattr(r, name) is not None:
            data[name] = getattr(r, name).isoformat()
    data.update({n: str(getattr(r, n)) for n in _DECIMAL_RESTRICTIONS if getattr(r, n) is not None})
    data.update({n: getattr(r, n) for n in _INT_RESTRICTIONS if getattr(r, n) is not None})
    if r.day_of_week:
        data["day_of_week"] = [str(d) for d in DayOfWeek if d in r.day_of_week]
    if r.reservation:
        data["reservation"] = str(r.reservation)
    return data


def _price_json(price: Price | None) -> dict[str, str] | None:
    if price is None:
        return None
    data = {"excl_vat": str(price.excl_vat)}
    if price.incl_vat is not None:
        data["incl_vat"] = str(price.incl_vat)
    return data


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
