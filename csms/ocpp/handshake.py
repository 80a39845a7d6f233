"""Admitting a charger's WebSocket handshake, or refusing it with the HTTP status it deserves.

The order of the checks keeps the expensive one (the password hash) for
requests that could succeed: a malformed id or a missing subprotocol is
refused at once, a rate-limited id or address before any hash. Statuses:

* 400: the charge point id is no OCPP identity (control characters, '/',
  too long) or no offered subprotocol is one we speak;
* 401 with `WWW-Authenticate: Basic`: missing or wrong credentials, as OCPP
  security profile 1 prescribes. An unknown station id gets the same 401
  (not OCPP-J's suggested 404) after the same password-hash work, so
  neither the status nor the time tells a guesser which ids exist;
* 429 with `Retry-After`: too many refusals for this station id, or from
  this address, within OCPP_HANDSHAKE_FAILURE_WINDOW seconds; the right
  password too is refused until the window ends.

Refusals are counted in Django's cache (Redis, shared by every process)
and recorded for operators as RefusedConnection rows.
"""

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from csms.ocpp.models import RefusedConnection
from csms.shared_cache import shared_cache
from stations.models import ChargingStation
from stations.services.connections import CHARGE_POINT_ID_MAX_LENGTH, StationRefused, authenticate_station

logger = logging.getLogger(__name__)

Reason = RefusedConnection.Reason
# New RefusedConnection rows per failure window, across processes; past it attempts are
# counted on one row per address and reason with the id RefusedConnection.OVERFLOW_ID.
MAX_NEW_RECORDS_PER_WINDOW = 1000


@dataclass
class HandshakeRefused(Exception):
    status: int
    reason: Reason
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @property
    def body(self) -> str:
        """What the charger reads: every 401 says the same, whichever way its credentials failed."""
        return "missing or wrong credentials for this charge point id" if self.status == 401 else self.reason.label


@dataclass(frozen=True)
class Admitted:
    station: ChargingStation
    subprotocol: str


def choose_subprotocol(offered: list[str], supported: tuple[str, ...]) -> str | None:
    """Our most preferred (first supported) subprotocol that the charger offers."""
    return next((name for name in supported if name in offered), None)


def valid_identity(charge_point_id: str) -> bool:
    """An OCPP charge point identity: printable ASCII without '/' or spaces (it is one URL path
    segment and the HTTP Basic user name), no longer than a station's id can be."""
    return 0 < len(charge_point_id) <= CHARGE_POINT_ID_MAX_LENGTH and all(
        "!" <= char <= "~" and char != "/" for char in charge_point_id
    )


def basic_auth_password(headers: list[tuple[bytes, bytes]], charge_point_id: str) -> str | None:
    """The password from an HTTP Basic header whose user is this charge point, else None."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return password if user == charge_point_id else None
    return None


def admit(
    *, charge_point_id: str, address: str, offered: list[str], supported: tuple[str, ...], password: str | None
) -> Admitted:
    """The station and subprotocol of a handshake that may proceed; raises HandshakeRefused otherwise."""
    if not valid_identity(charge_point_id):
        raise _refused(400, Reason.INVALID_ID, charge_point_id=charge_point_id, address=address)
    throttle = _Throttle(charge_point_id=charge_point_id, address=address)
    if throttle.exceeded():
        raise _rate_limited(throttle, charge_point_id=charge_point_id, address=address)
    subprotocol = choose_subprotocol(offered, supported)
    if subprotocol is None:
        throttle.count(guess=False)
        raise _refused(400, Reason.NO_SUBPROTOCOL, charge_point_id=charge_point_id, address=address)
    if not password:
        throttle.count(guess=False)
        raise _refused(401, Reason.MISSING_PASSWORD, charge_point_id=charge_point_id, address=address)
    try:
        station = authenticate_station(charge_point_id=charge_point_id, password=password)
    except StationRefused as refused:
        throttle.count(guess=True)
        raise _refused(401, Reason(refused.reason.value), charge_point_id=charge_point_id, address=address)
    return Admitted(station=station, subprotocol=subprotocol)


class _Throttle:
    """Refused handshakes per station id and per client address, in fixed windows."""

    def __init__(self, *, charge_point_id: str, address: str):
        digest = hashlib.sha256(charge_point_id.encode()).hexdigest()  # any id makes a safe cache key
        self.station_key = f"ocpp-handshake:station:{digest}"
        self.address_key = f"ocpp-handshake:address:{address}"

    def exceeded(self) -> bool:
        counts = shared_cache().get_many([self.station_key, self.address_key])
        return (
            counts.get(self.station_key, 0) >= settings.OCPP_HANDSHAKE_FAILURES_PER_STATION
            or counts.get(self.address_key, 0) >= settings.OCPP_HANDSHAKE_FAILURES_PER_ADDRESS
        )

    def count(self, *, guess: bool) -> None:
        """Count a refusal against the address; a password guess also against the station id."""
        for key in (self.station_key, self.address_key) if guess else (self.address_key,):
            _increment(key)

    def first_refusal_of_window(self) -> bool:
        """True once per window and throttle: only that 429 is recorded for operators."""
        return shared_cache().add(f"{self.station_key}:{self.address_key}:limited", 1, timeout=_window())


def _window() -> int:
    return settings.OCPP_HANDSHAKE_FAILURE_WINDOW


def _increment(key: str) -> int:
    """Count in a window that starts with the first count (atomic in Redis across processes)."""
    shared_cache().add(key, 0, timeout=_window())
    try:
        return shared_cache().incr(key)
    except ValueError:  # the window ended between add and incr
        shared_cache().add(key, 1, timeout=_window())
        return 1


def _rate_limited(throttle: _Throttle, *, charge_point_id: str, address: str) -> HandshakeRefused:
    if throttle.first_refusal_of_window():
        return _refused(429, Reason.RATE_LIMITED, charge_point_id=charge_point_id, address=address)
    return HandshakeRefused(429, Reason.RATE_LIMITED, [(b"retry-after", str(_window()).encode())])


def _refused(status: int, reason: Reason, *, charge_point_id: str, address: str) -> HandshakeRefused:
    """Record and log a refusal, and build what the charger is answered."""
    logger.info(
        "OCPP handshake refused (%d %s): charge point id %r from %s", status, reason.value, charge_point_id, address
    )
    _record(charge_point_id=charge_point_id, address=address, reason=reason)
    headers = {
        401: [(b"www-authenticate", b'Basic realm="OCPP", charset="UTF-8"')],
        429: [(b"retry-after", str(_window()).encode())],
    }.get(status, [])
    return HandshakeRefused(status, reason, headers)


def _record(*, charge_point_id: str, address: str, reason: Reason) -> None:
    now = timezone.now()
    key = {"charge_point_id": _storable_id(charge_point_id), "client_address": address[:64], "reason": reason}
    if RefusedConnection.objects.filter(**key).update(attempts=F("attempts") + 1, last_seen_at=now):
        return
    if _increment("ocpp-handshake:new-records") > MAX_NEW_RECORDS_PER_WINDOW:
        key["charge_point_id"] = RefusedConnection.OVERFLOW_ID
        if RefusedConnection.objects.filter(**key).update(attempts=F("attempts") + 1, last_seen_at=now):
            return
    try:
        with transaction.atomic():
            RefusedConnection.objects.create(**key, first_seen_at=now, last_seen_at=now)
    except IntegrityError:  # another process recorded the same kind just now
        RefusedConnection.objects.filter(**key).update(attempts=F("attempts") + 1, last_seen_at=now)


def _storable_id(charge_point_id: str) -> str:
    """The id as an operator can read it: control characters and the like escaped, cut to fit."""
    if not charge_point_id.isprintable():
        charge_point_id = charge_point_id.encode("unicode_escape").decode("ascii")
    max_length = RefusedConnection._meta.get_field("charge_point_id").max_length
    return charge_point_id if len(charge_point_id) <= max_length else charge_point_id[: max_length - 1] + "…"
