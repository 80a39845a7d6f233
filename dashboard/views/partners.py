"""The OCPI partners pages: each partner's parties, endpoints, push queue and requests, and a retry button.

The partners' own actions (register, issue token A, unregister) stay the admin's: the pages link there.
Retrying failed pushes takes the admin retry action's permission and does what that action does.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from dashboard.access import may_retry_pushes, staff_page
from dashboard.views.base import render_page
from roaming import tasks
from roaming.selectors.partners import (
    failed_push_ids,
    failed_pushes,
    partner_summaries,
    partner_summary,
    recent_requests,
)
from roaming.services import push


@staff_page
@require_GET
def partners(request: HttpRequest) -> HttpResponse:
    return render_page(request, "dashboard/partners.html", {"summaries": partner_summaries()})


@staff_page
@require_GET
def partner(request: HttpRequest, partner_id: int) -> HttpResponse:
    summary = partner_summary(partner_id=partner_id)
    if summary is None:
        raise Http404(f"No OCPI partner with id {partner_id}")
    context = {
        "summary": summary,
        "failed_pushes": failed_pushes(partner_id=partner_id),
        "requests": recent_requests(partner_id=partner_id),
        "may_retry": may_retry_pushes(request.user),
    }
    return render_page(request, "dashboard/partner.html", context)


@staff_page
@require_POST
def retry(request: HttpRequest, partner_id: int) -> HttpResponse:
    """Take the partner's failed pushes (the posted `push` ids, or all of them) up again, and wake its sender."""
    if not may_retry_pushes(request.user):
        raise PermissionDenied("Retrying pushes takes the permission to change the push queue.")
    posted = request.POST.getlist("push")
    among = [int(pk) for pk in posted if pk.isdigit()] if posted else None
    tasks.wake(push.retry_now(push_ids=failed_push_ids(partner_id=partner_id, among=among)))
    return redirect("dashboard:partner", partner_id)


urlpatterns = [
    path("partners/", partners, name="partners"),
    path("partners/<int:partner_id>/", partner, name="partner"),
    path("partners/<int:partner_id>/retry", retry, name="partner-retry"),
]
