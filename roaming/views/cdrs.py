"""The CDRs module, SENDER (we are the CPO): the sealed records of a partner's tokens' sessions, page by page,
each as it was first mapped (roaming.services.cdr_snapshots)."""

from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import OcpiError, ocpi_response
from roaming.pagination import page_request, paginate
from roaming.parties import issuer_parties
from roaming.selectors.sessions import partner_cdrs
from roaming.services.cdr_snapshots import cdr_bodies


@ocpi_view()
def cdr_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    records = partner_cdrs(
        issuers=issuer_parties(caller.partner), date_from=page_params.date_from, date_to=page_params.date_to
    )
    page = paginate(request, records, page_params)
    bodies = cdr_bodies(page.items)
    return page.apply(ocpi_response([bodies[record.pk] for record in page.items]))
