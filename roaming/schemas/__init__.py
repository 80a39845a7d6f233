"""OCPI 2.2.1 object shapes as JSON Schema (draft 2020-12) dicts, written from the spec text.

Tests validate every object the mapping produces against these, so a field
too long, a missing required field or a value outside an enum shows up here
rather than at a partner's parser. Plain dicts: no validator is imported.
"""

from roaming.schemas.cdrs import CDR, CDR_LOCATION
from roaming.schemas.commands import (
    ACTIVE_CHARGING_PROFILE,
    ACTIVE_CHARGING_PROFILE_RESULT,
    CHARGING_PROFILE,
    CHARGING_PROFILE_RESPONSE,
    CHARGING_PROFILE_RESULT,
    CLEAR_PROFILE_RESULT,
    COMMAND_RESPONSE,
    COMMAND_RESULT,
)
from roaming.schemas.hub_client_info import CLIENT_INFO
from roaming.schemas.locations import (
    BUSINESS_DETAILS,
    CONNECTOR,
    ENERGY_MIX,
    EVSE,
    GEO_LOCATION,
    HOURS,
    LOCATION,
)
from roaming.schemas.sessions import CDR_TOKEN, CHARGING_PERIOD, SESSION
from roaming.schemas.tariffs import PRICE_COMPONENT, TARIFF, TARIFF_ELEMENT, TARIFF_RESTRICTIONS
from roaming.schemas.tokens import ENERGY_CONTRACT, TOKEN
from roaming.schemas.types import DISPLAY_TEXT, PRICE

__all__ = [
    "ACTIVE_CHARGING_PROFILE",
    "ACTIVE_CHARGING_PROFILE_RESULT",
    "CHARGING_PROFILE",
    "CHARGING_PROFILE_RESPONSE",
    "CHARGING_PROFILE_RESULT",
    "CLEAR_PROFILE_RESULT",
    "COMMAND_RESPONSE",
    "COMMAND_RESULT",
    "BUSINESS_DETAILS",
    "CDR",
    "CDR_LOCATION",
    "CDR_TOKEN",
    "CHARGING_PERIOD",
    "CLIENT_INFO",
    "CONNECTOR",
    "DISPLAY_TEXT",
    "ENERGY_CONTRACT",
    "ENERGY_MIX",
    "EVSE",
    "GEO_LOCATION",
    "HOURS",
    "LOCATION",
    "PRICE",
    "PRICE_COMPONENT",
    "SESSION",
    "TARIFF",
    "TARIFF_ELEMENT",
    "TARIFF_RESTRICTIONS",
    "TOKEN",
]
