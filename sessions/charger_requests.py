"""Asking the charger what a driver asked for, once the request is committed (a lifecycle subscriber).

driver_sessions records the request and publishes it; this subscriber hands
the conversation with the charger to Celery (sessions.tasks), so the request
is answered without waiting for the charger, and driver_sessions never
imports the tasks that call back into it.
"""

from django.conf import settings

from sessions import tasks
from sessions.events import DriverSessionChanged
from sessions.models import DriverSession

State = DriverSession.State


def ask_the_charger(event: DriverSessionChanged) -> None:
    """A session is published pending once, when it opens (its start guards passed); stopping, when the
    driver asks to stop it."""
    if event.state == State.PENDING:
        # The timeout first, so a start that goes wrong in any way still ends instead of blocking the EVSE.
        tasks.expire_pending_session.apply_async((event.session_id,), countdown=settings.SESSION_START_TIMEOUT)
        tasks.send_remote_start.delay(event.session_id)
    elif event.state == State.STOPPING:
        tasks.send_remote_stop.delay(event.session_id)
