"""Writes: pricing a running session, sealing a finished one into its charge detail record."""

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from billing import pricing
from billing.events import ChargeDetailRecordSealed
from billing.models import ChargeDetailRecord
from billing.selectors import SessionPricing, dated_before_start, session_cost, session_pricing
from csms import lifecycle
from sessions.costs import record_cost
from sessions.models import Transaction
from stations.services.reports import record_deviation


class SessionNotFinished(ValueError):
    """A CDR is sealed once, so only a stopped session gets one."""


def price_running_session(*, transaction_id: int) -> None:
    """Price a running session once its readings arrived, and keep the cost on its transaction.

    Readers show the stored cost; nobody else prices a running session. A
    stopped session's cost is its sealed record's (seal_session). Recorded
    even when no tariff applies (no cost): its nudge tells the watchers of the
    readings priced, so they read the new energy with its cost, once.
    """
    session = Transaction.objects.select_related("id_tag__owner").filter(pk=transaction_id).first()
    if session is None or session.stopped_at is not None:
        return
    priced_at = timezone.now()
    cost = session_cost(transaction=session, now=priced_at)
    record_cost(
        transaction_id=transaction_id,
        currency="" if cost is None else cost.currency,
        excl_vat=None if cost is None else cost.total_cost.excl_vat,
        incl_vat=None if cost is None else cost.total_cost.incl_vat,
        priced_at=priced_at,
    )


def seal_session(*, transaction_id: int) -> ChargeDetailRecord | None:
    """The first step after a stop: its charge detail record, once, and its cost on the transaction as final.

    A session no tariff applies to is sealed too, with no cost, so the resume
    sweep (sweeps.unfinished_billing) knows it is done. A record, new or found,
    is announced (ChargeDetailRecordSealed) once this commits.
    """
    record = record_charge_detail_record(transaction_id=transaction_id)
    record_cost(
        transaction_id=transaction_id,
        currency="" if record is None else record.currency,
        excl_vat=None if record is None else record.total_cost_excl_vat,
        incl_vat=None if record is None else record.total_cost_incl_vat,
        priced_at=timezone.now() if record is None else record.created_at,
        final=True,
    )
    if record is not None:
        lifecycle.publish(ChargeDetailRecordSealed(transaction_id=transaction_id, record_id=record.pk))
    return record


def record_charge_detail_record(*, transaction_id: int) -> ChargeDetailRecord | None:
    """Price a stopped session and keep the result; idempotent, so a replay never bills twice.

    A second call returns the stored record and changes nothing, even if the
    tariff changed since. None when no tariff applies to the session.
    """
    stored = ChargeDetailRecord.objects.filter(transaction_id=transaction_id).first()
    if stored is not None:
        return stored
    session = Transaction.objects.select_related("id_tag__owner").get(pk=transaction_id)
    if session.stopped_at is None:
        raise SessionNotFinished(f"transaction {transaction_id} has not stopped")
    priced = session_pricing(transaction=session)
    return None if priced is None else _store(session, priced)


def _store(session: Transaction, priced: SessionPricing) -> ChargeDetailRecord:
    """Insert once; when a concurrent call stored it first, return theirs."""
    try:
        with db_transaction.atomic():
            record = ChargeDetailRecord.objects.create(
                transaction=session, tariff=priced.tariff, **_fields(priced.priced_with, priced.cdr)
            )
    except IntegrityError:
        return ChargeDetailRecord.objects.get(transaction=session)
    if dated_before_start(session):
        _record_stop_before_start(session, record)
    return record


def _record_stop_before_start(session: Transaction, record: ChargeDetailRecord) -> None:
    """Tell operators the bill rests on our clock, not the charger's: its stop was dated before its start."""
    record_deviation(
        station_id=session.station_id,
        summary=f"Transaction {session.pk} stopped before it started; billed until {record.end_date_time.isoformat()}",
        details={
            "transaction_id": session.pk,
            "started_at": session.started_at.isoformat(),
            "stopped_at": session.stopped_at.isoformat(),
            "billed_until": record.end_date_time.isoformat(),
        },
    )


def _fields(priced_with: pricing.Tariff, cdr: pricing.Cdr) -> dict:
    prices = {
        f"{name}_{kind}": getattr(getattr(cdr, name), kind)
        for name in (
            "total_cost",
            "total_fixed_cost",
            "total_energy_cost",
            "total_time_cost",
            "total_parking_cost",
            "total_reservation_cost",
        )
        for kind in ("excl_vat", "incl_vat")
    }
    return {
        **prices,
        "tariff_snapshot": pricing.tariff_to_ocpi(priced_with),
        "currency": cdr.currency,
        "start_date_time": cdr.start_date_time,
        "end_date_time": cdr.end_date_time,
        "total_energy_wh": cdr.total_energy_wh,
        "total_time": _duration(cdr.total_time_s),
        "total_parking_time": _duration(cdr.total_parking_time_s),
        "charging_periods": cdr.to_json()["charging_periods"],
    }


def _duration(seconds: Decimal) -> timedelta:
    return timedelta(microseconds=int(seconds * 1_000_000))
