"""OCPI 2.2.1 Locations module shapes (mod_locations.asciidoc): Location, EVSE, Connector and their classes."""

from roaming.schemas.types import (
    BOOLEAN,
    DATE_TIME,
    DISPLAY_TEXT,
    INT,
    NUMBER,
    URL,
    cistring,
    enum,
    many,
    obj,
    string,
)

CONNECTOR_TYPE = enum(
    "CHADEMO", "CHAOJI",
    "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E", "DOMESTIC_F", "DOMESTIC_G",
    "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O",
    "GBT_AC", "GBT_DC",
    "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64",
    "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C",
    "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
)  # fmt: skip
CONNECTOR_FORMAT = enum("SOCKET", "CABLE")
POWER_TYPE = enum("AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC")
STATUS = enum(
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"
)
CAPABILITY = enum(
    "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT", "CONTACTLESS_CARD_SUPPORT",
    "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
    "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
)  # fmt: skip
FACILITY = enum(
    "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
    "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
    "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
)  # fmt: skip
PARKING_TYPE = enum("ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE")
PARKING_RESTRICTION = enum("EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES")
IMAGE_CATEGORY = enum("CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER")
TOKEN_TYPE = enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID")
ENERGY_SOURCE_CATEGORY = enum("NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER")
ENVIRONMENTAL_IMPACT_CATEGORY = enum("NUCLEAR_WASTE", "CARBON_DIOXIDE")

_LATITUDE = string(10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")
_LONGITUDE = string(11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")
_TIME_OF_DAY = string(5, pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")

GEO_LOCATION = obj({"latitude": _LATITUDE, "longitude": _LONGITUDE})
ADDITIONAL_GEO_LOCATION = obj({"latitude": _LATITUDE, "longitude": _LONGITUDE}, {"name": DISPLAY_TEXT})
IMAGE = obj(
    {"url": URL, "category": IMAGE_CATEGORY, "type": cistring(4)},
    {"thumbnail": URL, "width": {"type": "integer", "maximum": 99999}, "height": {"type": "integer", "maximum": 99999}},
)
BUSINESS_DETAILS = obj({"name": string(100)}, {"website": URL, "logo": IMAGE})
REGULAR_HOURS = obj(
    {
        "weekday": {"type": "integer", "minimum": 1, "maximum": 7},
        "period_begin": _TIME_OF_DAY,
        "period_end": _TIME_OF_DAY,
    }
)
EXCEPTIONAL_PERIOD = obj({"period_begin": DATE_TIME, "period_end": DATE_TIME})
HOURS = obj(
    {"twentyfourseven": BOOLEAN},
    {
        "regular_hours": many(REGULAR_HOURS),
        "exceptional_openings": many(EXCEPTIONAL_PERIOD),
        "exceptional_closings": many(EXCEPTIONAL_PERIOD),
    },
)
ENERGY_MIX = obj(
    {"is_green_energy": BOOLEAN},
    {
        "energy_sources": many(obj({"source": ENERGY_SOURCE_CATEGORY, "percentage": NUMBER})),
        "environ_impact": many(obj({"category": ENVIRONMENTAL_IMPACT_CATEGORY, "amount": NUMBER})),
        "supplier_name": string(64),
        "energy_product_name": string(64),
    },
)
PUBLISH_TOKEN_TYPE = obj(
    {},
    {
        "uid": cistring(36),
        "type": TOKEN_TYPE,
        "visual_number": string(64),
        "issuer": string(64),
        "group_id": cistring(36),
    },
)
STATUS_SCHEDULE = obj({"period_begin": DATE_TIME, "status": STATUS}, {"period_end": DATE_TIME})

CONNECTOR = obj(
    {
        "id": cistring(36),
        "standard": CONNECTOR_TYPE,
        "format": CONNECTOR_FORMAT,
        "power_type": POWER_TYPE,
        "max_voltage": INT,
        "max_amperage": INT,
        "last_updated": DATE_TIME,
    },
    {"max_electric_power": INT, "tariff_ids": many(cistring(36)), "terms_and_conditions": URL},
)
EVSE = obj(
    {"uid": cistring(36), "status": STATUS, "connectors": many(CONNECTOR, at_least=1), "last_updated": DATE_TIME},
    {
        "evse_id": cistring(48),
        "status_schedule": many(STATUS_SCHEDULE),
        "capabilities": many(CAPABILITY),
        "floor_level": string(4),
        "coordinates": GEO_LOCATION,
        "physical_reference": string(16),
        "directions": many(DISPLAY_TEXT),
        "parking_restrictions": many(PARKING_RESTRICTION),
        "images": many(IMAGE),
    },
)
LOCATION = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "id": cistring(36),
        "publish": BOOLEAN,
        "address": string(45),
        "city": string(45),
        "country": string(3),
        "coordinates": GEO_LOCATION,
        "time_zone": string(255),
        "last_updated": DATE_TIME,
    },
    {
        "publish_allowed_to": many(PUBLISH_TOKEN_TYPE),
        "name": string(255),
        "postal_code": string(10),
        "state": string(20),
        "related_locations": many(ADDITIONAL_GEO_LOCATION),
        "parking_type": PARKING_TYPE,
        "evses": many(EVSE),
        "directions": many(DISPLAY_TEXT),
        "operator": BUSINESS_DETAILS,
        "suboperator": BUSINESS_DETAILS,
        "owner": BUSINESS_DETAILS,
        "facilities": many(FACILITY),
        "opening_times": HOURS,
        "charging_when_closed": BOOLEAN,
        "images": many(IMAGE),
        "energy_mix": ENERGY_MIX,
    },
)
