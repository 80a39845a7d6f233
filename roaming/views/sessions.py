"""The Sessions module, SENDER (we are the CPO): the sessions of a partner's tokens, page by page.

A partner sees only the sessions of tokens one of its parties issued. A running session carries the cost
so far that billing stored after its last reading (a list never prices sessions itself: a page of fifty
running sessions would run the engine fifty times per request); its charging periods come with the PUTs
we push while it charges, and with its CDR.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from roaming.auth import Caller, ocpi_view
from roaming.envelope import OcpiError, ocpi_response
from roaming.mapping.sessions import session_object
from roaming.pagination import page_request, paginate
from roaming.parties import issuer_parties
from roaming.selectors.session_authorisation import session_authorisations
from roaming.selectors.sessions import partner_sessions


@ocpi_view()
def session_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    sessions = partner_sessions(
        issuers=issuer_parties(caller.partner), date_from=page_params.date_from, date_to=page_params.date_to
    )
    page = paginate(request, sessions, page_params)
    party = {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}
    authorised = session_authorisations(page.items)
    data = [
        session_object(tx, auth_method=authorised[tx.pk].method, reference=authorised[tx.pk].reference, **party)
        for tx in page.items
    ]
    return page.apply(ocpi_response(data))
