"""The CDRs module, SENDER (we are the CPO): the sealed records of a partner's tokens' sessions, page by page."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import OcpiError, ocpi_response
from roaming.mapping.cdrs import cdr_object
from roaming.pagination import page_request, paginate
from roaming.parties import issuer_parties
from roaming.selectors.session_authorisation import session_authorisations
from roaming.selectors.sessions import partner_cdrs


@ocpi_view()
def cdr_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    records = partner_cdrs(
        issuers=issuer_parties(caller.partner), date_from=page_params.date_from, date_to=page_params.date_to
    )
    page = paginate(request, records, page_params)
    party = {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}
    authorised = session_authorisations([record.transaction for record in page.items])
    data = [
        cdr_object(record, auth_method=how.method, reference=how.reference, **party)
        for record in page.items
        if (how := authorised[record.transaction_id])
    ]
    return page.apply(ocpi_response(data))
