"""Sessions and CDRs we owe the partner whose token charged: a Session PUT when it starts, while it
charges and when it stops, and its CDR POSTed once when billing seals it; the Session of a reservation
an eMSP's RESERVE_NOW made, while held and once it ends.

Only the token's issuer hears of a session (never every partner): the partner one of whose parties is the
IdTag's issuer_party, when it has a sessions (cdrs) RECEIVER. While charging, a session is PUT at most
once per OCPI_SESSION_PUSH_INTERVAL seconds: a change within the interval is left to one delayed push at
its end (roaming.tasks.push_session_later), and of the PUTs still waiting in the queue only the newest is
sent (roaming.services.push collapses them). Bodies are snapshots as JSON (numbers as OCPI's encoder
writes them), as the partner will read them.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from billing.models import ChargeDetailRecord
from billing.selectors import session_cost
from roaming.envelope import OcpiJSONEncoder
from roaming.mapping.sessions import reservation_session_id, reservation_session_object, session_object
from roaming.models import Command, Partner, Push
from roaming.parties import issuing_partner
from roaming.selectors.session_authorisation import session_authorisation
from roaming.services.cdr_snapshots import cdr_body
from roaming.services.push import RECEIVER, enqueue
from sessions.models import Reservation, Transaction
from stations.models import Evse

SESSIONS = "sessions"
CDRS = "cdrs"


def _party() -> dict[str, str]:
    return {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}


def _how(tx: Transaction) -> dict[str, Any]:
    authorised = session_authorisation(tx)
    return {"auth_method": authorised.method, "reference": authorised.reference}


def _wire(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=OcpiJSONEncoder))


def _token_owner(tx: Transaction, module: str) -> Partner | None:
    if tx.id_tag is None or not tx.id_tag.issuer_party:
        return None
    partner = issuing_partner(issuer=tx.id_tag.issuer_party)
    return partner if partner is not None and partner.endpoint(module, RECEIVER) else None


def _session(transaction_id: int) -> Transaction | None:
    return (
        Transaction.objects.select_related("id_tag", "station", "connector__evse__station", "charge_detail_record")
        .filter(pk=transaction_id)
        .first()
    )


def push_session(*, transaction_id: int) -> list[int]:
    """PUT the session as it is now to its token owner's sessions receiver; the partner ids to wake."""
    tx = _session(transaction_id)
    partner = None if tx is None else _token_owner(tx, SESSIONS)
    if tx is None or partner is None:
        return []
    cdr = None if hasattr(tx, "charge_detail_record") else session_cost(transaction=tx)
    body = _wire(session_object(tx, cdr=cdr, **_how(tx), **_party()))
    if _unchanged(partner=partner, object_key=str(tx.pk), body=body):
        return []
    return enqueue(
        module=SESSIONS,
        object_key=str(tx.pk),
        method=Push.Method.PUT,
        path="/".join([settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID, str(tx.pk)]),
        body=body,
        partners=[partner],
        to_party=tx.id_tag.issuer_party,
    )


def _unchanged(*, partner: Partner, object_key: str, body: dict[str, Any]) -> bool:
    """Whether the last PUT of the session we queued for the partner said the same but for last_updated
    (a push held back while charging that fires after the stop has nothing new to tell)."""
    last = (
        Push.objects.filter(partner=partner, module=SESSIONS, object_key=object_key, method=Push.Method.PUT)
        .exclude(state=Push.State.FAILED)
        .order_by("-id")
        .values_list("body", flat=True)
        .first()
    )
    same = {key: value for key, value in body.items() if key != "last_updated"}
    return isinstance(last, dict) and {key: value for key, value in last.items() if key != "last_updated"} == same


def push_running_session(*, transaction_id: int, now: datetime | None = None) -> tuple[list[int], float | None]:
    """A reading or a new cost: PUT now unless the session was PUT less than the interval ago.

    Returns the partners to wake and, when held back, in how many seconds to push it (None: pushed, or
    nobody to push to). Every reading of every session comes here: one cheap read ends it for a session on
    one of our own tokens, which no partner hears of."""
    issuer = Transaction.objects.filter(pk=transaction_id).values_list("id_tag__issuer_party", flat=True).first()
    if not issuer:
        return [], None
    now = now or timezone.now()
    last = (
        Push.objects.filter(module=SESSIONS, object_key=str(transaction_id), method=Push.Method.PUT)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    interval = timedelta(seconds=settings.OCPI_SESSION_PUSH_INTERVAL)
    if last is not None and now - last < interval:
        return [], (last + interval - now).total_seconds()
    return push_session(transaction_id=transaction_id), None


def push_cdr(*, record_id: int) -> list[int]:
    """POST the sealed record to its token owner's cdrs receiver, once: a record already queued for the
    partner (sent, pending or failed) is not queued again, whoever announces it again."""
    record = (
        ChargeDetailRecord.objects.select_related(
            "transaction__id_tag", "transaction__station__location", "transaction__connector__evse__station"
        )
        .filter(pk=record_id)
        .first()
    )
    partner = None if record is None else _token_owner(record.transaction, CDRS)
    if record is None or partner is None:
        return []
    body = cdr_body(record)  # the CDR as first mapped: GET lists this very body
    with db_transaction.atomic():
        Partner.objects.select_for_update().filter(pk=partner.pk).first()  # two announcements queue it once
        queued = Push.objects.filter(partner=partner, module=CDRS, object_key=str(record.pk), method=Push.Method.POST)
        if queued.exists():
            return []
        return enqueue(
            module=CDRS,
            object_key=str(record.pk),
            method=Push.Method.POST,
            path="",
            body=body,
            partners=[partner],
            to_party=record.transaction.id_tag.issuer_party,
        )


def push_reservation_session(*, reservation_id: int, now: datetime | None = None) -> list[int]:
    """PUT the Session of a reservation a RESERVE_NOW made to its token owner's sessions receiver: RESERVATION
    while the charger holds it, COMPLETED once cancelled, refused, used or past its expiry (the charging
    session it is used for is its transaction's). One for "any EVSE" (evse_number 0) names no EVSE and
    connector, which a Session must: not sent."""
    now = now or timezone.now()
    made = (
        Command.objects.select_related("reservation", "id_tag")
        .filter(command="RESERVE_NOW", reservation_id=reservation_id)
        .order_by("-id")
        .first()
    )
    reservation = made.reservation if made else None
    evse = (
        None
        if reservation is None
        else Evse.objects.filter(station_id=reservation.station_id, number=reservation.evse_number).first()
    )
    connector = None if evse is None else evse.connectors.order_by("number").first()
    partner = None if made is None or made.id_tag is None else issuing_partner(issuer=made.id_tag.issuer_party)
    if partner is None or not partner.endpoint(SESSIONS, RECEIVER) or connector is None:
        return []
    assert made is not None and made.id_tag is not None and reservation is not None and evse is not None
    held = reservation.status in (Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED)
    ended = not held or reservation.expires_at <= now
    session_id = reservation_session_id(reservation.pk)
    body = reservation_session_object(
        reservation=reservation,
        tag=made.id_tag,
        evse=evse,
        connector_number=connector.number,
        changed_at=now if ended else made.created_at,
        ended=ended,
        reference=made.authorization_reference,
        **_party(),
    )
    return enqueue(
        module=SESSIONS,
        object_key=session_id,
        method=Push.Method.PUT,
        path="/".join([settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID, session_id]),
        body=_wire(body),
        partners=[partner],
        to_party=made.id_tag.issuer_party,
    )
