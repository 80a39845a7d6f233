"""OCPI 2.2.1 HubClientInfo module shape (mod_hub_client_info.asciidoc): ClientInfo."""

from roaming.schemas.types import DATE_TIME, cistring, enum, obj

ROLE = enum("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")
CONNECTION_STATUS = enum("CONNECTED", "OFFLINE", "PLANNED", "SUSPENDED")

CLIENT_INFO = obj(
    {
        "party_id": cistring(3),
        "country_code": cistring(2),
        "role": ROLE,
        "status": CONNECTION_STATUS,
        "last_updated": DATE_TIME,
    }
)
