"""Reads for billing's beat sweeps: sessions whose billing lags behind what happened to them.

The chain after a stop and the pricing after readings are started by
lifecycle events; an event whose task never ran (broker down at the commit,
retries spent, a worker lost) would leave its session behind for good. The
sweeps (billing.tasks) find those sessions here and start the same
idempotent work again.
"""

from datetime import datetime

from django.db.models import Q

from billing.models import Payment
from sessions.models import AuthorizationStatus, Transaction

_CARD_PAYER = ~Q(driver_session__driver__billing_account__pays_by_invoice=True)
_INVOICED_PER_SESSION = Q(id_tag__owner__isnull=False) & ~Q(id_tag__owner__billing_account__pays_by_invoice=True)
_BILLABLE_RECORD = Q(charge_detail_record__total_cost_incl_vat__gt=0)


def unfinished_billing(*, stopped_before: datetime, limit: int) -> list[int]:
    """Authorised sessions stopped (last written) before `stopped_before` whose chain did not finish, newest first.

    Unfinished means: not sealed (no final cost on the transaction, so no CDR
    or its cost not recorded yet), or the driver's card hold is still
    authorised, or a card payer's priced session was never charged, or a
    priced session invoiced per session has no invoice. A declined or failed
    payment is the operator's to follow up, never retried by a sweep.
    """
    unfinished = (
        Q(cost_final=False)
        | Q(driver_session__payment__status=Payment.Status.AUTHORISED)
        | (_CARD_PAYER & Q(driver_session__isnull=False, driver_session__payment__isnull=True) & _BILLABLE_RECORD)
        | (_INVOICED_PER_SESSION & _BILLABLE_RECORD & Q(charge_detail_record__invoiced_record__isnull=True))
    )
    return list(
        Transaction.objects.filter(
            status=Transaction.Status.COMPLETED,
            authorization_status=AuthorizationStatus.ACCEPTED,
            updated_at__lte=stopped_before,
        )
        .filter(unfinished)
        .order_by("-updated_at")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )


def stale_running_costs(*, priced_before: datetime) -> list[int]:
    """Running authorised sessions whose stored cost was priced before `priced_before`, or never."""
    return list(
        Transaction.objects.filter(status=Transaction.Status.ACTIVE, authorization_status=AuthorizationStatus.ACCEPTED)
        .filter(Q(cost_priced_at__isnull=True) | Q(cost_priced_at__lt=priced_before))
        .values_list("pk", flat=True)
    )


def running_sessions_at(*, station_id: int, evse_number: int) -> list[int]:
    """The running authorised sessions on an EVSE (all of the station's for EVSE 0, the station itself),
    whose cost its new status may move (parking)."""
    running = Transaction.objects.filter(
        station_id=station_id,
        status=Transaction.Status.ACTIVE,
        authorization_status=AuthorizationStatus.ACCEPTED,
    )
    if evse_number:
        running = running.filter(connector__evse__number=evse_number)
    return list(running.values_list("pk", flat=True))
