"""OCPI 2.2.1 Tariffs module shapes (mod_tariffs.asciidoc): Tariff, TariffElement, PriceComponent, TariffRestrictions."""

from roaming.schemas.locations import ENERGY_MIX
from roaming.schemas.types import DATE_TIME, DISPLAY_TEXT, INT, NUMBER, PRICE, URL, cistring, enum, many, obj, string

TARIFF_DIMENSION_TYPE = enum("ENERGY", "FLAT", "PARKING_TIME", "TIME")
TARIFF_TYPE = enum("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR")
DAY_OF_WEEK = enum("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
RESERVATION_RESTRICTION_TYPE = enum("RESERVATION", "RESERVATION_EXPIRES")

_TIME_OF_DAY = string(5, pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")
_DATE = string(10, pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

PRICE_COMPONENT = obj(
    {"type": TARIFF_DIMENSION_TYPE, "price": NUMBER, "step_size": INT},
    {"vat": NUMBER},
)
TARIFF_RESTRICTIONS = obj(
    {},
    {
        "start_time": _TIME_OF_DAY,
        "end_time": _TIME_OF_DAY,
        "start_date": _DATE,
        "end_date": _DATE,
        "min_kwh": NUMBER,
        "max_kwh": NUMBER,
        "min_current": NUMBER,
        "max_current": NUMBER,
        "min_power": NUMBER,
        "max_power": NUMBER,
        "min_duration": INT,
        "max_duration": INT,
        "day_of_week": many(DAY_OF_WEEK),
        "reservation": RESERVATION_RESTRICTION_TYPE,
    },
)
TARIFF_ELEMENT = obj({"price_components": many(PRICE_COMPONENT, at_least=1)}, {"restrictions": TARIFF_RESTRICTIONS})
TARIFF = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "id": cistring(36),
        "currency": string(3),
        "elements": many(TARIFF_ELEMENT, at_least=1),
        "last_updated": DATE_TIME,
    },
    {
        "type": TARIFF_TYPE,
        "tariff_alt_text": many(DISPLAY_TEXT),
        "tariff_alt_url": URL,
        "min_price": PRICE,
        "max_price": PRICE,
        "start_date_time": DATE_TIME,
        "end_date_time": DATE_TIME,
        "energy_mix": ENERGY_MIX,
    },
)
