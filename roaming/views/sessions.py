"""The Sessions module, SENDER (we are the CPO): the sessions of a partner's tokens, page by page.

A partner sees only the sessions of tokens one of its parties issued. A running session carries its cost
so far (billing's stored running cost) and the pricing engine's charging periods so far.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from billing.pricing import Cdr
from billing.selectors import session_cost
from roaming.auth import Caller, ocpi_view
from roaming.envelope import OcpiError, ocpi_response
from roaming.mapping.sessions import session_object
from roaming.pagination import page_request, paginate
from roaming.parties import issuer_parties
from roaming.selectors.sessions import partner_sessions
from sessions.models import Transaction


@ocpi_view()
def session_list(request: HttpRequest, caller: Caller) -> HttpResponse:
    OcpiError.only_get(request.method)
    page_params = page_request(request)
    sessions = partner_sessions(
        issuers=issuer_parties(caller.partner), date_from=page_params.date_from, date_to=page_params.date_to
    )
    page = paginate(request, sessions, page_params)
    party = {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}
    data = [session_object(tx, cdr=_running_cost(tx), **party) for tx in page.items]
    return page.apply(ocpi_response(data))


def _running_cost(tx: Transaction) -> Cdr | None:
    """The engine's pricing so far, for the periods of a session not yet sealed (a sealed one has its own)."""
    return None if hasattr(tx, "charge_detail_record") else session_cost(transaction=tx)
