"""Roaming in the background: the request log's and real-time answers' purges, the push queue's senders."""

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from roaming.services import push, realtime_authorization, request_log

# One sender per partner at a time (two would send a push twice or out of order). The lock outlives a
# sender only if its worker died; a sender that finds it held tries again shortly, so a push enqueued
# while another sender is finishing is never left for the beat.
SENDER_LOCK_SECONDS = 300
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
