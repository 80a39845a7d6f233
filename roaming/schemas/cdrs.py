"""OCPI 2.2.1 CDRs module shapes (mod_cdrs.asciidoc): CDR and CdrLocation."""

from roaming.schemas.locations import CONNECTOR_FORMAT, CONNECTOR_TYPE, GEO_LOCATION, POWER_TYPE
from roaming.schemas.sessions import AUTH_METHOD, CDR_TOKEN, CHARGING_PERIOD
from roaming.schemas.tariffs import TARIFF
from roaming.schemas.types import BOOLEAN, DATE_TIME, NUMBER, PRICE, cistring, many, obj, string

CDR_LOCATION = obj(
    {
        "id": cistring(36),
        "address": string(45),
        "city": string(45),
        "country": string(3),
        "coordinates": GEO_LOCATION,
        "evse_uid": cistring(36),
        "evse_id": cistring(48),
        "connector_id": cistring(36),
        "connector_standard": CONNECTOR_TYPE,
        "connector_format": CONNECTOR_FORMAT,
        "connector_power_type": POWER_TYPE,
    },
    {"name": string(255), "postal_code": string(10), "state": string(20)},
)
CDR = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "id": cistring(39),
        "start_date_time": DATE_TIME,
        "end_date_time": DATE_TIME,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "cdr_location": CDR_LOCATION,
        "currency": string(3),
        "charging_periods": many(CHARGING_PERIOD, at_least=1),
        "total_cost": PRICE,
        "total_energy": NUMBER,
        "total_time": NUMBER,
        "last_updated": DATE_TIME,
    },
    {
        "session_id": cistring(36),
        "authorization_reference": cistring(36),
        "meter_id": string(255),
        "tariffs": many(TARIFF),
        "signed_data": {"type": "object"},
        "total_fixed_cost": PRICE,
        "total_energy_cost": PRICE,
        "total_time_cost": PRICE,
        "total_parking_time": NUMBER,
        "total_parking_cost": PRICE,
        "total_reservation_cost": PRICE,
        "remark": string(255),
        "invoice_reference_id": cistring(39),
        "credit": BOOLEAN,
        "credit_reference_id": cistring(39),
        "home_charging_compensation": BOOLEAN,
    },
)
