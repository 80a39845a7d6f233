"""OCPI 2.2.1 Tokens module shapes (mod_tokens.asciidoc): Token, EnergyContract and their enums."""

from roaming.schemas.types import BOOLEAN, DATE_TIME, cistring, enum, many, obj, string

WHITELIST_TYPE = enum("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER")
TOKEN_TYPE = enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID")
PROFILE_TYPE = enum("CHEAP", "FAST", "GREEN", "REGULAR")  # mod_sessions.asciidoc

ENERGY_CONTRACT = obj({"supplier_name": string(64)}, {"contract_id": string(64)})
TOKEN = obj(
    {
        "country_code": cistring(2),
        "party_id": cistring(3),
        "uid": cistring(36),
        "type": TOKEN_TYPE,
        "contract_id": cistring(36),
        "issuer": string(64),
        "valid": BOOLEAN,
        "whitelist": WHITELIST_TYPE,
        "last_updated": DATE_TIME,
    },
    {
        "visual_number": string(64),
        "group_id": cistring(36),
        "language": string(2),
        "default_profile_type": PROFILE_TYPE,
        "energy_contract": ENERGY_CONTRACT,
    },
)

# Real-time authorization (POST {tokens}/{uid}/authorize): what we send, and what the eMSP answers.
LOCATION_REFERENCES = obj({"location_id": cistring(36)}, {"evse_uids": many(cistring(36))})
ALLOWED_TYPE = enum("ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED")
