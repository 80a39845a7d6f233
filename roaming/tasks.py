"""Roaming in the background: the request log's and real-time answers' purges, the push queue's senders,
the partners' commands and the results we owe them."""

from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from roaming.models import Command
from roaming.services import (
    charging_profiles,
    commands,
    push,
    realtime_authorization,
    request_log,
    results,
    session_pushes,
)

# One sender per partner at a time (two would send a push twice or out of order). The lock outlives a
# sender only if its worker died; a sender that finds it held tries again shortly, so a push enqueued
# while another sender is finishing is never left for the beat.
SENDER_LOCK_SECONDS = 300
# A running session held back by OCPI_SESSION_PUSH_INTERVAL gets one delayed push, not one per reading.
SESSION_PUSH_HELD_KEY = "roaming:session-push-held:"
SENDER_LOCK_KEY = "roaming:push-sender:"
BUSY_RETRY_SECONDS = 1


@shared_task
def purge_request_log() -> int:
    return request_log.purge_request_log()


@shared_task
def purge_realtime_authorizations() -> int:
    return realtime_authorization.purge_answers()


@shared_task(bind=True, ignore_result=True, max_retries=120)
def send_pushes(self, partner_id: int) -> int:
    """Send the partner's due pushes in order (roaming.services.push.send_pending)."""
    key = f"{SENDER_LOCK_KEY}{partner_id}"
    if not cache.add(key, 1, SENDER_LOCK_SECONDS):
        raise self.retry(countdown=BUSY_RETRY_SECONDS)
    try:
        return push.send_pending(partner_id=partner_id)
    finally:
        cache.delete(key)


@shared_task(ignore_result=True)
def retry_due_pushes() -> int:
    """Beat: wake the sender of every partner with a push due (after its backoff, or never sent)."""
    partner_ids = push.due_partners()
    wake(partner_ids)
    return len(partner_ids)


def wake(partner_ids: list[int]) -> None:
    """Hand the partners' queues to Celery, once the enqueueing transaction commits."""
    for partner_id in partner_ids:
        transaction.on_commit(lambda partner_id=partner_id: send_pushes.delay(partner_id))


@shared_task(ignore_result=True)
def push_session_later(transaction_id: int) -> None:
    """The delayed PUT of a running session whose changes came within the interval: as it is by now."""
    cache.delete(f"{SESSION_PUSH_HELD_KEY}{transaction_id}")
    wake(session_pushes.push_session(transaction_id=transaction_id))


def hold_session_push(transaction_id: int, seconds: float) -> None:
    """Push the session in `seconds`, unless a delayed push of it is already waiting."""
    if cache.add(f"{SESSION_PUSH_HELD_KEY}{transaction_id}", 1, int(seconds) + 1):
        push_session_later.apply_async((transaction_id,), countdown=seconds)


@shared_task(ignore_result=True)
def push_reservation_session(reservation_id: int) -> None:
    """PUT the Session of an eMSP's reservation as it is by now (held, or ended)."""
    wake(session_pushes.push_reservation_session(reservation_id=reservation_id))


def announce_reservation(*, reservation_id: int, expires_at: datetime | None) -> None:
    """A reservation was made, replaced or cancelled: its Session PUT now and, while it has an expiry
    ahead, again then (COMPLETED, unless replaced with a later one; stations do not report a 1.6 expiry)."""
    push_reservation_session(reservation_id)
    if expires_at is not None:
        transaction.on_commit(lambda: push_reservation_session.apply_async((reservation_id,), eta=expires_at))


@shared_task(ignore_result=True)
def execute_command(command_id: int) -> None:
    """Carry out a partner's command or charging-profile request, then POST its result."""
    module = Command.objects.values_list("module", flat=True).get(pk=command_id)
    service = charging_profiles if module == Command.Module.CHARGING_PROFILES else commands
    service.carry_out(command_id=command_id)
    transaction.on_commit(lambda: deliver_result.delay(command_id))


@shared_task(ignore_result=True)
def deliver_result(command_id: int) -> bool:
    return results.deliver(command_id=command_id)


@shared_task(ignore_result=True)
def retry_due_results() -> int:
    """Beat: POST again every result whose partner could not take it, once its backoff has passed."""
    due = results.due()
    for command_id in due:
        deliver_result.delay(command_id)
    return len(due)
