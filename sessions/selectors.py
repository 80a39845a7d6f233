"""Reads for the drivers' API: a driver sees only their own sessions and tokens."""

from decimal import Decimal

from django.db.models import QuerySet

from billing import selectors as billing
from sessions.models import DriverSession, IdTag


def driver_sessions(*, driver) -> QuerySet[DriverSession]:
    return DriverSession.objects.filter(driver=driver).select_related(
        "station", "connector__evse", "transaction__charge_detail_record", "transaction__id_tag", "payment"
    )


def id_token_types(*, id_tags: list[str]) -> dict[str, str]:
    """The OCPP 2.0.1 type of each id tag, as stored; a tag we do not know is one the CSMS
    vouches for itself (Central), like a token an operator types into a remote start."""
    stored = dict(IdTag.objects.filter(id_tag__in=id_tags).values_list("id_tag", "id_token_type"))
    return {tag: stored.get(tag, IdTag.IdTokenType.CENTRAL) for tag in id_tags}


def driver_id_tokens(*, driver) -> QuerySet[IdTag]:
    return IdTag.objects.filter(owner=driver).order_by("created_at", "pk")


def session_cost(*, session: DriverSession) -> tuple[str, Decimal, Decimal] | None:
    """(currency, excl. VAT, incl. VAT): the sealed cost once the session is complete, the
    cost so far while it runs; None before it starts or when no tariff applies."""
    tx = session.transaction
    if tx is None:
        return None
    if tx.stopped_at is not None:
        cdr = getattr(tx, "charge_detail_record", None)
        return None if cdr is None else (cdr.currency, cdr.total_cost_excl_vat, cdr.total_cost_incl_vat)
    so_far = billing.session_cost(transaction=tx)
    return None if so_far is None else (so_far.currency, so_far.total_cost.excl_vat, so_far.total_cost.incl_vat)
