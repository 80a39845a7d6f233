"""The Tariffs module, SENDER (we are the CPO): the tariffs partners pull, page by page (OCPI has no GET of one)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import OcpiError, ocpi_response
from roaming.mapping.tariffs import tariff_object
from roaming.pagination import page_request, paginate
from roaming.selectors.tariffs import roaming_tariffs


@ocpi_view()
def tariff_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    page = paginate(request, roaming_tariffs(date_from=page_params.date_from, date_to=page_params.date_to), page_params)
    party = {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}
    return page.apply(ocpi_response([tariff_object(tariff, **party) for tariff in page.items]))
