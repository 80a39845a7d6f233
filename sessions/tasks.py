"""Background work for sessions: talking to the charger, giving up on it, ending what it forgot."""

from celery import shared_task

from sessions import closing, driver_sessions, remote_control


@shared_task(ignore_result=True)
def send_remote_start(session_id: int) -> None:
    remote_control.send_remote_start(session_id=session_id)


@shared_task(ignore_result=True)
def send_remote_stop(session_id: int) -> None:
    remote_control.send_remote_stop(session_id=session_id)


@shared_task(ignore_result=True)
def expire_pending_session(session_id: int) -> None:
    driver_sessions.expire_if_pending(session_id=session_id)


@shared_task(ignore_result=True)
def end_stale_transactions() -> None:
    closing.end_stale_transactions()
