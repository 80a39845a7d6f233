"""OCPI 2.2.1 Sessions module shapes (mod_sessions.asciidoc, and the CdrToken/ChargingPeriod of mod_cdrs)."""

from roaming.schemas.types import DATE_TIME, NUMBER, PRICE, cistring, enum, many, obj, string

AUTH_METHOD = enum("AUTH_REQUEST", "COMMAND", "WHITELIST")
SESSION_STATUS = enum("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION")
TOKEN_TYPE = enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID")
CDR_DIMENSION_TYPE = enum(
    "CURRENT",
    "ENERGY",
    "ENERGY_EXPORT",
    "ENERGY_IMPORT",
    "MAX_CURRENT",
    "MIN_CURRENT",
    "MAX_POWER",
    "MIN_POWER",
    "PARKING_TIME",
    "POWER",
    "RESERVATION_TIME",
    "STATE_OF_CHARGE",
    "TIME",
)

CDR_TOKEN = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "uid": cistring(36),
        "type": TOKEN_TYPE,
        "contract_id": cistring(36),
    }
)
CDR_DIMENSION = obj({"type": CDR_DIMENSION_TYPE, "volume": NUMBER})
CHARGING_PERIOD = obj(
    {"start_date_time": DATE_TIME, "dimensions": many(CDR_DIMENSION, at_least=1)}, {"tariff_id": cistring(36)}
)
SESSION = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "id": cistring(36),
        "start_date_time": DATE_TIME,
        "kwh": NUMBER,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "location_id": cistring(36),
        "evse_uid": cistring(36),
        "connector_id": cistring(36),
        "currency": string(3),
        "status": SESSION_STATUS,
        "last_updated": DATE_TIME,
    },
    {
        "end_date_time": DATE_TIME,
        "authorization_reference": cistring(36),
        "meter_id": string(255),
        "charging_periods": many(CHARGING_PERIOD),
        "total_cost": PRICE,
    },
)
