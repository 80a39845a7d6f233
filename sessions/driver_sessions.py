"""Driver sessions: the states the app shows, moved by the driver's requests and
by what the charger reports.

    pending ──charger reports the start──► active ──stop requested──► stopping
       │                                     ▲                          │
       └─refused, timed out──► failed        └──stop refused────────────┤
                                                                        ▼
                                          charger reports the stop: completed

Every move is a conditional update on the state it leaves, so a late answer
(the start timing out after the charger did start) can never undo a newer
state. Each move is published (DriverSessionChanged) once it commits: the live
layer pushes it to the session's WebSocket, sessions.charger_requests asks the
charger to start or stop, billing releases a hold that is no longer needed.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from csms import lifecycle
from sessions import charging_needs, guards
from sessions.events import DriverSessionChanged
from sessions.id_tokens import issue_app_token
from sessions.models import AuthorizationStatus, DriverSession, Transaction
from stations.models import ChargingStation, Connector, ConnectorStatus, Evse, RegistrationStatus
from stations.selectors.connections import station_online

State = DriverSession.State
OPEN_STATES = (State.PENDING, State.ACTIVE, State.STOPPING)


# Refusals decided while the request was answered: replaying its Idempotency-Key answers them again.
REFUSALS_AT_START = set(guards.PaymentReason)


class SessionRefused(Exception):
    """The request cannot be carried out; `code` is the API's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StartRequest:
    charge_point_id: str  # as printed on the charger's QR code
    evse_number: int
    connector_number: int | None = None  # None: the EVSE's only (or first) connector
    max_power_w: int | None = None
    departure_at: datetime | None = None  # the driver's needs, for smart charging (sessions.charging_needs)
    energy_wanted_wh: int | None = None


def request_start(*, driver, request: StartRequest, idempotency_key: str | None = None) -> tuple[DriverSession, bool]:
    """Open a pending session and have the charger asked to start; (session, created).

    With an idempotency key, a retried request returns the session the first
    one opened, and the same key with different parameters is refused.
    """
    fingerprint = _fingerprint(request)
    if idempotency_key:
        existing = DriverSession.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.request_fingerprint != fingerprint:
                raise SessionRefused("idempotency_key_reused", "This Idempotency-Key was used for a different request.")
            if existing.error_code in REFUSALS_AT_START:  # the first answer was a refusal: so is the replay's
                raise SessionRefused(existing.error_code, existing.error_message)
            return existing, False
    connector = _startable_connector(request)
    try:
        with transaction.atomic():
            _claim_evse(connector)
            session = DriverSession.objects.create(
                driver=driver,
                id_tag=issue_app_token(driver=driver),
                station=connector.evse.station,
                connector=connector,
                max_power_w=request.max_power_w,
                departure_at=request.departure_at,
                energy_wanted_wh=request.energy_wanted_wh,
                idempotency_key=idempotency_key or None,
                request_fingerprint=fingerprint,
            )
    except IntegrityError:  # the same key, sent twice at once: the other request opened it
        return request_start(driver=driver, request=request, idempotency_key=idempotency_key)
    _check_start(session)  # before the charger hears of it: no energy without a hold
    _published(session.pk, State.PENDING)  # the charger is asked once this commits
    return session, True


def _fingerprint(request: StartRequest) -> str:
    """The request's digest, for its Idempotency-Key. Needs left out are left out of it, so a start
    without them keeps the digest it had before drivers could give them."""
    fields = asdict(request)
    if request.departure_at is None:
        del fields["departure_at"]
    if request.energy_wanted_wh is None:
        del fields["energy_wanted_wh"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _claim_evse(connector: Connector) -> None:
    """Lock the EVSE and check again that no session holds it, so two starts at once cannot both pass."""
    Evse.objects.select_for_update().filter(pk=connector.evse_id).first()
    if DriverSession.objects.filter(connector__evse_id=connector.evse_id, state__in=OPEN_STATES).exists():
        raise SessionRefused("connector_occupied", "Another session is starting or running on this connector.")


def _check_start(session: DriverSession) -> None:
    """Run the start guards other apps registered (billing holds money on the card).

    A refusal fails the session with the reason and refuses the start. So does
    a guard that fails unexpectedly: the session must not hold the EVSE while
    nobody asks the charger.
    """
    try:
        guards.check_start(session=session)
    except guards.PaymentRefused as refused:
        refusal = SessionRefused(refused.code, refused.message)
    except guards.PaymentUnavailable as unavailable:
        refusal = SessionRefused(guards.PaymentUnavailable.code, str(unavailable))
    except Exception:
        fail(session_id=session.pk, code=guards.PaymentUnavailable.code, message="The payment could not be prepared.")
        raise
    else:
        return
    fail(session_id=session.pk, code=refusal.code, message=refusal.message)
    raise refusal


def _startable_connector(request: StartRequest) -> Connector:
    connectors = Connector.objects.select_related("evse__station").filter(
        evse__station__charge_point_id=request.charge_point_id,
        evse__station__registration_status=RegistrationStatus.ACCEPTED,
        evse__number=request.evse_number,
    )
    if request.connector_number is not None:
        connectors = connectors.filter(number=request.connector_number)
    connector = connectors.order_by("number").first()
    if connector is None:
        if not ChargingStation.objects.filter(
            charge_point_id=request.charge_point_id, registration_status=RegistrationStatus.ACCEPTED
        ).exists():
            raise SessionRefused("station_not_found", f"No station {request.charge_point_id}.")
        raise SessionRefused("connector_not_found", f"Station {request.charge_point_id} has no such connector.")
    if not station_online(station=connector.evse.station):
        raise SessionRefused("station_offline", "The station is offline; it cannot start charging now.")
    busy = _why_not_startable(connector.status)
    if busy is None and DriverSession.objects.filter(connector__evse=connector.evse, state__in=OPEN_STATES).exists():
        busy = "connector_occupied"
    if busy is not None:
        raise SessionRefused(busy, f"The connector cannot start a session now ({connector.status or 'busy'}).")
    return connector


def _why_not_startable(status: str) -> str | None:
    """The reason a connector's last reported status refuses a start now; None when it allows one
    (Preparing, plugged in and waiting for an authorization, is the usual moment to start)."""
    if status in ConnectorStatus.held_by_a_vehicle():
        return "connector_occupied"
    if status == ConnectorStatus.RESERVED:
        return "connector_reserved"
    if status == ConnectorStatus.FAULTED:
        return "connector_faulted"
    if status == ConnectorStatus.UNAVAILABLE:
        return "connector_unavailable"
    return None


def mark_start_accepted(*, session_id: int) -> None:
    """The charger agreed; the session stays pending until it reports the start."""
    DriverSession.objects.filter(pk=session_id, state=State.PENDING).update(
        start_accepted_at=timezone.now(), updated_at=timezone.now()
    )


def fail(*, session_id: int, code: str, message: str) -> bool:
    """End a session that never started. False when it has moved on meanwhile."""
    failed = DriverSession.objects.filter(pk=session_id, state=State.PENDING).update(
        state=State.FAILED, error_code=code, error_message=message[:255], updated_at=timezone.now()
    )
    if failed:
        _published(session_id, State.FAILED)
    return bool(failed)


def expire_if_pending(*, session_id: int) -> None:
    """Fail a session still pending SESSION_START_TIMEOUT after it was requested (never earlier)."""
    timeout = settings.SESSION_START_TIMEOUT
    due = DriverSession.objects.filter(
        pk=session_id, created_at__lte=timezone.now() - timedelta(seconds=timeout - 1)
    ).exists()
    if due:
        fail(
            session_id=session_id,
            code="start_timeout",
            message=f"The charger did not start charging within {timeout} s.",
        )


def request_stop(*, session: DriverSession) -> DriverSession:
    """Have the charger asked to stop. Asking again while it is stopping, or once
    it has stopped, changes nothing."""
    if session.state in (State.STOPPING, State.COMPLETED):
        return session
    moved = DriverSession.objects.filter(pk=session.pk, state=State.ACTIVE).update(
        state=State.STOPPING,
        stop_requested_at=timezone.now(),
        error_code="",
        error_message="",
        updated_at=timezone.now(),
    )
    session.refresh_from_db()
    if not moved:
        if session.state in (State.STOPPING, State.COMPLETED):
            return session
        raise SessionRefused(
            "session_not_active", f"The session is {session.state}; only an active session can be stopped."
        )
    _published(session.pk, State.STOPPING)  # the charger is asked once this commits
    return session


def stop_refused(*, session_id: int, code: str, message: str) -> None:
    """The charger did not take the stop: the session is active again, with the reason."""
    moved = DriverSession.objects.filter(pk=session_id, state=State.STOPPING).update(
        state=State.ACTIVE, error_code=code, error_message=message[:255], updated_at=timezone.now()
    )
    if moved:
        _published(session_id, State.ACTIVE)


def attach_transaction(*, tx: Transaction) -> None:
    """The charger reported a start with a driver's token: the driver's pending
    session on that EVSE becomes active (or, for a card, a session is opened).

    A token the CSMS did not accept (blocked, say) fails the pending session:
    OCPP has the charger stop such a transaction itself.
    """
    tag = tx.id_tag
    if tag is None or tag.owner_id is None or DriverSession.objects.filter(transaction=tx).exists():
        return
    accepted = tx.authorization_status == AuthorizationStatus.ACCEPTED
    pending = (
        DriverSession.objects.filter(id_tag=tag, connector__evse_id=tx.connector.evse_id, state=State.PENDING)
        .order_by("created_at")
        .first()
    )
    if pending is not None and not accepted:
        fail(
            session_id=pending.pk,
            code="authorization_rejected",
            message=f"The token was not accepted ({tx.authorization_status}).",
        )
        return
    if pending is not None and DriverSession.objects.filter(pk=pending.pk, state=State.PENDING).update(
        transaction=tx, state=State.ACTIVE, updated_at=timezone.now()
    ):
        _published(pending.pk, State.ACTIVE)
        charging_needs.driver_needs_attached(session=pending, tx=tx)
        return
    if accepted:
        # A card start, or an app start reported after its session timed out: it is the driver's
        # session all the same, and is charged when it ends (there is no hold to capture from).
        session = DriverSession.objects.create(
            driver_id=tag.owner_id,
            id_tag=tag,
            station_id=tx.station_id,
            connector=tx.connector,
            transaction=tx,
            state=State.ACTIVE,
        )
        _published(session.pk, State.ACTIVE)


def complete(*, tx: Transaction) -> None:
    """The charger reported the stop: the driver's session is complete."""
    session_id = DriverSession.objects.filter(transaction=tx).values_list("pk", flat=True).first()
    completed = (
        DriverSession.objects.filter(pk=session_id)
        .exclude(state=State.COMPLETED)
        .update(state=State.COMPLETED, error_code="", error_message="", updated_at=timezone.now())
    )
    if completed:
        _published(session_id, State.COMPLETED)


def _published(session_id: int, state: str) -> None:
    lifecycle.publish(DriverSessionChanged(session_id=session_id, state=state))
