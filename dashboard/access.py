"""Who may see the dashboard and do what on it: the operators' roles of csms/migrations/0001_roles.py.

Every staff member with a role sees the network (viewer, operator, finance all
hold the view permissions); pressing a command button needs the operator's
`command_station`, money figures need finance's or an operator's view of CDRs.
A superuser may do everything.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse

SEE_NETWORK = "stations.view_chargingstation"
COMMAND = "stations.command_station"
SEE_MONEY = "billing.view_chargedetailrecord"
RETRY_PUSHES = "roaming.change_push"  # what the push queue admin's "Retry now" asks


def may_see_dashboard(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(SEE_NETWORK)


def may_command(user) -> bool:
    return may_see_dashboard(user) and user.has_perm(COMMAND)


def may_see_money(user) -> bool:
    return may_see_dashboard(user) and user.has_perm(SEE_MONEY)


def may_retry_pushes(user) -> bool:
    """Retrying a partner's pushes from the dashboard takes what the admin's own retry action takes."""
    return may_see_dashboard(user) and user.has_perm(RETRY_PUSHES)


def staff_page(view: Callable) -> Callable:
    """A dashboard view: anonymous visitors go to the admin's login and come back; staff without a role get 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not may_see_dashboard(request.user):
            raise PermissionDenied("Your account has no role on this network (viewer, operator or finance).")
        return view(request, *args, **kwargs)

    return guarded


def roles(user) -> dict[str, bool]:
    """What the templates ask: which buttons to enable, which figures to show."""
    return {"may_command": may_command(user), "may_see_money": may_see_money(user)}
