"""The Locations module, SENDER (we are the CPO): the list partners pull and each location, EVSE, connector.

The filters and pages are roaming.pagination's; what partners may see is roaming.selectors.locations'.
An unknown id, or one of an object the partner does not see (not accepted, or not published to it), is OCPI 2003 with HTTP 404.
"""

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import UNKNOWN_LOCATION, OcpiError, ocpi_response
from roaming.mapping.locations import connector_object, evse_object, location_object
from roaming.pagination import page_request, paginate
from roaming.selectors.locations import roaming_location, roaming_locations
from roaming.selectors.tariffs import connector_tariff_ids
from stations.models import Location


@ocpi_view()
def location_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    page = paginate(
        request,
        roaming_locations(partner=caller.partner, date_from=page_params.date_from, date_to=page_params.date_to),
        page_params,
    )
    tariff_ids = connector_tariff_ids(connector_ids=_connector_ids(page.items))
    data = [location_object(location, tariff_ids=tariff_ids, **_party()) for location in page.items]
    return page.apply(ocpi_response(data))


@ocpi_view()
def location_detail(
    request: HttpRequest, caller: Caller, location_id: str, evse_uid: str | None = None, connector_id: str | None = None
) -> HttpResponse:
    OcpiError.only_get(request.method)
    location = roaming_location(location_id=location_id, partner=caller.partner)
    if location is None:
        raise _unknown(f"No location {location_id}")
    tariff_ids = connector_tariff_ids(connector_ids=_connector_ids([location]))
    if evse_uid is None:
        return ocpi_response(location_object(location, tariff_ids=tariff_ids, **_party()))
    evse = next((e for s in location.stations.all() for e in s.evses.all() if str(e.pk) == evse_uid), None)
    if evse is None:
        raise _unknown(f"No EVSE {evse_uid} at location {location_id}")
    if connector_id is None:
        return ocpi_response(evse_object(evse, tariff_ids=tariff_ids, **_party()))
    connector = next((c for c in evse.connectors.all() if str(c.number) == connector_id), None)
    if connector is None:
        raise _unknown(f"No connector {connector_id} on EVSE {evse_uid}")
    return ocpi_response(connector_object(connector, tariff_ids=tariff_ids.get(connector.pk, ())))


def _party() -> dict[str, str]:
    return {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}


def _connector_ids(locations: Iterable[Location]) -> list[int]:
    return [c.pk for loc in locations for s in loc.stations.all() for e in s.evses.all() for c in e.connectors.all()]


def _unknown(message: str) -> OcpiError:
    return OcpiError(UNKNOWN_LOCATION, message, http_status=404)
