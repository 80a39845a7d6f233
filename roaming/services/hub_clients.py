"""The HubClientInfo module, receiver side: a hub tells us the parties behind it and whether each is
connected (ClientInfo), so operators see who they reach through it. Only a partner registered with the
HUB role may write; each hub keeps its own list."""

from typing import Any

from roaming.envelope import CLIENT_ERROR, INVALID_PARAMETERS, OcpiError
from roaming.mapping.timestamps import ocpi_datetime
from roaming.mapping.tokens import parse_datetime
from roaming.models import HubClientInfo, Partner


def client_info_object(info: HubClientInfo) -> dict[str, Any]:
    return {
        "party_id": info.party_id,
        "country_code": info.country_code,
        "role": info.role,
        "status": info.status,
        "last_updated": ocpi_datetime(info.last_updated),
    }


def get_client_info(*, partner: Partner, country_code: str, party_id: str) -> dict[str, Any]:
    info = HubClientInfo.objects.filter(
        partner=partner, country_code=country_code.upper(), party_id=party_id.upper()
    ).first()
    if info is None:
        raise OcpiError(CLIENT_ERROR, f"No ClientInfo for {country_code}/{party_id}", http_status=404)
    return client_info_object(info)


def _choice(data: dict[str, Any], name: str, choices: type[HubClientInfo.Role | HubClientInfo.ConnectionStatus]):
    value = data.get(name)
    if value not in choices.values:
        raise OcpiError(INVALID_PARAMETERS, f"{name} must be one of {', '.join(choices.values)}", http_status=400)
    return value


def put_client_info(*, partner: Partner, country_code: str, party_id: str, data: dict[str, Any]) -> None:
    """A new or replaced ClientInfo, whose party must be the URL's."""
    if not partner.has_role("HUB"):
        raise OcpiError(CLIENT_ERROR, "Only a hub sends ClientInfo", http_status=403)
    country_code, party_id = country_code.upper(), party_id.upper()
    if (str(data.get("country_code", "")).upper(), str(data.get("party_id", "")).upper()) != (country_code, party_id):
        raise OcpiError(
            INVALID_PARAMETERS, "The ClientInfo's country_code and party_id must be the URL's", http_status=400
        )
    if len(country_code) != 2 or len(party_id) != 3:
        raise OcpiError(INVALID_PARAMETERS, "country_code has 2 characters, party_id 3", http_status=400)
    fields = {
        "role": _choice(data, "role", HubClientInfo.Role),
        "status": _choice(data, "status", HubClientInfo.ConnectionStatus),
        "last_updated": parse_datetime(data.get("last_updated")),
    }
    HubClientInfo.objects.update_or_create(
        partner=partner, country_code=country_code, party_id=party_id, defaults=fields
    )
