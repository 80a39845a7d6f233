"""The cost of a session, as priced by the app that prices (billing), kept on its transaction.

Sessions does not price: billing hears that readings arrived or that the
transaction stopped, prices it once and records the result here. Every
reader (the drivers' API, the live socket, roaming pushes) shows the stored
cost, so no reader re-prices the session per reading or per watcher.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from csms import lifecycle
from sessions.events import TransactionCostChanged
from sessions.models import Transaction


def record_cost(
    *,
    transaction_id: int,
    currency: str,
    excl_vat: Decimal | None,
    incl_vat: Decimal | None,
    priced_at: datetime,
    final: bool = False,
) -> bool:
    """Store a session's cost (None, and no currency, when no tariff applies); False when a newer one is
    stored already (nothing changes).

    A running cost never replaces one priced later, nor the final one, so a
    pricing task that ran late cannot move the cost back. The final cost (the
    sealed CDR's) replaces any running one, once.
    """
    newer = Q(cost_final=True) if final else Q(cost_final=True) | Q(cost_priced_at__gte=priced_at)
    changed = (
        Transaction.objects.filter(pk=transaction_id)
        .exclude(newer)
        .update(
            cost_currency=currency,
            cost_excl_vat=excl_vat,
            cost_incl_vat=incl_vat,
            cost_priced_at=priced_at,
            cost_final=final,
        )
    )
    if changed:
        station_id = Transaction.objects.filter(pk=transaction_id).values_list("station_id", flat=True).get()
        lifecycle.publish(TransactionCostChanged(transaction_id=transaction_id, station_id=station_id, final=final))
    return bool(changed)
