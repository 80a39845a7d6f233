"""The alert rules, all of them in this one module: what needs a human, as conditions true now.

Each rule is a named function that, given `now` (and, for the rules that
can, one station), returns the conditions currently true, each keyed by a
subject ("connector:12", "transaction:8", "payment:3", ...) with the title
and details an operator reads. Rules only read; alerts.services reconciles
what they find with the Alert rows (opens, touches, resolves). Thresholds
are settings (the ALERTS_* block of csms/settings.py).

Rules marked `per_station` can be evaluated for one station alone, which is
what the lifecycle subscribers do; the others run only in the full
evaluation Celery beat starts every minute.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery, Sum

from alerts.models import Alert
from billing.models import Payment
from csms.ocpp.models import RefusedConnection
from sessions.meter import ENERGY_REGISTER
from sessions.models import DriverSession, MeterValue, Transaction
from stations.models import ChargingStation, Connector, ConnectorStatus, RegistrationStatus

Severity = Alert.Severity


@dataclass(frozen=True)
class Condition:
    """One thing that is wrong now: what a rule found, before it is an Alert row."""

    subject: str
    title: str
    station_id: int | None = None
    charge_point_id: str = ""
    details: dict = field(default_factory=dict)
    severity: str = Severity.WARNING


Finder = Callable[..., list[Condition]]


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    find: Finder  # find(now=..., station_id=None | int) -> conditions
    per_station: bool


RULES: dict[str, Rule] = {}


def rule(name: str, label: str, *, per_station: bool) -> Callable[[Finder], Finder]:
    def register(find: Finder) -> Finder:
        RULES[name] = Rule(name=name, label=label, find=find, per_station=per_station)
        return find

    return register


def _for_station(queryset, station_id: int | None, lookup: str = "station_id"):
    return queryset if station_id is None else queryset.filter(**{lookup: station_id})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@rule("station_offline", "Station offline", per_station=True)
def station_offline(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """An accepted station that has been disconnected longer than ALERTS_OFFLINE_MINUTES (never connected: no alert)."""
    minutes = settings.ALERTS_OFFLINE_MINUTES
    stations = ChargingStation.objects.filter(
        registration_status=RegistrationStatus.ACCEPTED,
        connection_channel="",
        disconnected_at__lte=now - timedelta(minutes=minutes),
    ).only("charge_point_id", "disconnected_at", "last_heartbeat_at")
    return [
        Condition(
            subject=f"station:{station.pk}",
            station_id=station.pk,
            charge_point_id=station.charge_point_id,
            title=f"{station.charge_point_id} offline for more than {minutes} min",
            details={
                "disconnected_at": _iso(station.disconnected_at),
                "last_heartbeat_at": _iso(station.last_heartbeat_at),
            },
            severity=Severity.CRITICAL,
        )
        for station in _for_station(stations, station_id, "pk")
    ]


@rule("faulted", "Faulted", per_station=True)
def faulted(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """A connector (or the station as a whole, EVSE 0) reporting Faulted, with its error and the vendor's code."""
    connectors = Connector.objects.filter(status=ConnectorStatus.FAULTED).select_related("evse__station")
    stations = ChargingStation.objects.filter(status=ConnectorStatus.FAULTED)
    found = [_faulted_connector(c) for c in _for_station(connectors, station_id, "evse__station_id")]
    return found + [_faulted_station(s) for s in _for_station(stations, station_id, "pk")]


def _faulted_connector(connector: Connector) -> Condition:
    station = connector.evse.station
    title = f"{station.charge_point_id} EVSE {connector.evse.number} connector {connector.number} Faulted"
    return Condition(
        subject=f"connector:{connector.pk}",
        station_id=station.pk,
        charge_point_id=station.charge_point_id,
        title=_fault_title(
            title, connector.error_code, connector.vendor_error_code, connector.vendor_id, connector.info
        ),
        details={
            "evse": connector.evse.number,
            "connector": connector.number,
            "error_code": connector.error_code,
            "vendor_error_code": connector.vendor_error_code,
            "vendor_id": connector.vendor_id,
            "info": connector.info,
            "since": _iso(connector.status_updated_at),
        },
        severity=Severity.CRITICAL,
    )


def _faulted_station(station: ChargingStation) -> Condition:
    return Condition(
        subject=f"station:{station.pk}",
        station_id=station.pk,
        charge_point_id=station.charge_point_id,
        title=_fault_title(f"{station.charge_point_id} Faulted", station.error_code, "", "", ""),
        details={"error_code": station.error_code, "since": _iso(station.status_updated_at)},
        severity=Severity.CRITICAL,
    )


def _fault_title(title: str, error_code: str, vendor_error_code: str, vendor_id: str, info: str) -> str:
    """E.g. "CP-1 EVSE 1 connector 1 Faulted: GroundFailure (vendor error E042 from ABB): RCD tripped"."""
    if error_code and error_code != "NoError":
        title += f": {error_code}"
    if vendor_error_code:
        title += f" (vendor error {vendor_error_code}" + (f" from {vendor_id}" if vendor_id else "") + ")"
    if info:
        title += f": {info}"
    return title[:255]


# Why a remote start failed on the charger's side: not the driver's card (sessions.guards.PaymentReason).
CHARGER_START_FAILURES = (
    "station_offline",
    "station_not_accepted",
    "station_not_responding",
    "station_rejected",
    "station_error",
    "start_timeout",
    "authorization_rejected",
)


@rule("start_failures", "Start failure rate", per_station=True)
def start_failures(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """More than ALERTS_START_FAILURE_PERCENT of a station's decided remote starts in the window failed on the
    charger's side, out of at least ALERTS_START_FAILURE_MIN_COUNT (still pending: not counted yet)."""
    window = settings.ALERTS_START_FAILURE_WINDOW_MINUTES
    failed = Q(state=DriverSession.State.FAILED, error_code__in=CHARGER_START_FAILURES)
    decided = (
        DriverSession.objects.filter(created_at__gte=now - timedelta(minutes=window))
        .exclude(state=DriverSession.State.PENDING)
        .filter(~Q(state=DriverSession.State.FAILED) | failed)
    )
    counts = (
        _for_station(decided, station_id)
        .values("station_id", "station__charge_point_id")
        .annotate(attempts=Count("id"), failures=Count("id", filter=failed))
        .filter(attempts__gte=settings.ALERTS_START_FAILURE_MIN_COUNT)
    )
    over = [row for row in counts if row["failures"] * 100 > settings.ALERTS_START_FAILURE_PERCENT * row["attempts"]]
    reasons: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        decided.filter(failed, station_id__in=[row["station_id"] for row in over])
        .values("station_id", "error_code")
        .annotate(n=Count("id"))
    ):
        reasons[row["station_id"]][row["error_code"]] = row["n"]
    return [
        Condition(
            subject=f"station:{row['station_id']}",
            station_id=row["station_id"],
            charge_point_id=row["station__charge_point_id"],
            title=f"{row['station__charge_point_id']}: {row['failures']} of {row['attempts']} remote starts "
            f"failed in the last {window} min",
            details={"attempts": row["attempts"], "failures": row["failures"], "reasons": reasons[row["station_id"]]},
        )
        for row in over
    ]


def _running(station_id: int | None, started_before: datetime):
    transactions = Transaction.objects.filter(status=Transaction.Status.ACTIVE, started_at__lte=started_before)
    return _for_station(transactions, station_id).select_related("station", "connector__evse")


def _session_condition(tx: Transaction, title: str, details: dict) -> Condition:
    cp = tx.station.charge_point_id
    return Condition(
        subject=f"transaction:{tx.pk}",
        station_id=tx.station_id,
        charge_point_id=cp,
        title=f"{cp} EVSE {tx.connector.evse.number} transaction {tx.pk}: {title}",
        details={"transaction": tx.pk, "started_at": _iso(tx.started_at), **details},
    )


@rule("no_reading", "No meter reading", per_station=True)
def no_reading(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """A running transaction with no MeterValue for ALERTS_NO_READING_MINUTES (or none at all since it started)."""
    minutes = settings.ALERTS_NO_READING_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    silent = _running(station_id, cutoff).filter(Q(last_reading_at__isnull=True) | Q(last_reading_at__lte=cutoff))
    return [
        _session_condition(tx, f"no meter reading for {minutes} min", {"last_reading_at": _iso(tx.last_reading_at)})
        for tx in silent
    ]


@rule("no_consumption", "No consumption", per_station=True)
def no_consumption(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """A connector Charging for ALERTS_NO_CONSUMPTION_MINUTES whose readings keep coming but whose energy
    register has not risen over that time (a session without readings is `no_reading`'s)."""
    minutes = settings.ALERTS_NO_CONSUMPTION_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    register_then = (
        MeterValue.objects.filter(transaction=OuterRef("pk"), measurand=ENERGY_REGISTER, timestamp__lte=cutoff)
        .order_by("-timestamp")
        .values("value")[:1]
    )
    charging = (
        _running(station_id, cutoff)
        .filter(
            connector__status=ConnectorStatus.CHARGING,
            connector__status_updated_at__lte=cutoff,
            last_reading_at__gt=cutoff,
            last_meter_wh__isnull=False,
        )
        .annotate(register_then=Subquery(register_then))
    )
    stuck = []
    for tx in charging:
        then = tx.register_then if tx.register_then is not None else tx.meter_start_wh
        if then is not None and tx.last_meter_wh <= then:
            stuck.append(
                _session_condition(
                    tx,
                    f"Charging without consumption for {minutes} min",
                    {"meter_wh": tx.last_meter_wh, "last_reading_at": _iso(tx.last_reading_at)},
                )
            )
    return stuck


@rule("clock_skew", "Clock skew", per_station=True)
def clock_skew(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """A charger whose clock was last found more than ALERTS_CLOCK_SKEW_SECONDS off ours (stations.services.status)."""
    limit = settings.ALERTS_CLOCK_SKEW_SECONDS
    stations = ChargingStation.objects.filter(Q(clock_skew_seconds__gt=limit) | Q(clock_skew_seconds__lt=-limit))
    return [
        Condition(
            subject=f"station:{station.pk}",
            station_id=station.pk,
            charge_point_id=station.charge_point_id,
            title=f"{station.charge_point_id} clock is {station.clock_skew_seconds:+d} s off",
            details={"skew_seconds": station.clock_skew_seconds},
        )
        for station in _for_station(stations.only("charge_point_id", "clock_skew_seconds"), station_id, "pk")
    ]


@rule("refused_connections", "Refused connections", per_station=False)
def refused_connections(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """Refused handshakes seen in the last hour: ALERTS_REFUSED_CONNECTIONS_PER_HOUR attempts for a charge point id,
    or any for an id we do not know. Attempts are those of the (id, address, reason) rows seen in the hour."""
    attempts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in (
        RefusedConnection.objects.filter(last_seen_at__gte=now - timedelta(hours=1))
        .values("charge_point_id", "reason")
        .annotate(n=Sum("attempts"))
    ):
        attempts[row["charge_point_id"]][row["reason"]] = row["n"]
    known = dict(
        ChargingStation.objects.filter(charge_point_id__in=list(attempts)).values_list("charge_point_id", "pk")
    )
    found = []
    for cp, reasons in attempts.items():
        total = sum(reasons.values())
        unknown = cp not in known or RefusedConnection.Reason.UNKNOWN_STATION in reasons
        if total < settings.ALERTS_REFUSED_CONNECTIONS_PER_HOUR and not unknown:
            continue
        labels = ", ".join(RefusedConnection.Reason(reason).label for reason in sorted(reasons))
        who = f"Unknown charge point {cp}" if unknown else cp
        found.append(
            Condition(
                subject=f"charge_point:{cp}"[:64],
                station_id=known.get(cp),
                charge_point_id=cp,
                title=f"{who}: {total} refused connection attempt{'s' if total != 1 else ''} in the last hour "
                f"({labels})"[:255],
                details={"attempts": reasons},
            )
        )
    return found


@rule("failed_payment", "Failed payment", per_station=False)
def failed_payment(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """Energy delivered and not paid: a session's payment failed at settlement, or its excess charge was declined.
    A hold refused before the start is not here: that session never charged."""
    payments = Payment.objects.filter(
        Q(status=Payment.Status.FAILED, driver_session__transaction__isnull=False)
        | (Q(status=Payment.Status.CAPTURED) & ~Q(failure_code=""))
    ).select_related("driver_session__station")
    return [
        _payment_condition(
            payment,
            f"payment of session {payment.driver_session_id} failed ({payment.failure_code or payment.status})",
            {"failure_code": payment.failure_code, "status": payment.status},
        )
        for payment in payments
    ]


@rule("disputed_payment", "Disputed payment", per_station=False)
def disputed_payment(*, now: datetime, station_id: int | None = None) -> list[Condition]:
    """A driver disputed a session's charge with their bank (Stripe's charge.dispute.* webhooks) and it is not closed."""
    payments = Payment.objects.filter(dispute_status__in=Payment.OPEN_DISPUTE_STATUSES).select_related(
        "driver_session__station"
    )
    return [
        _payment_condition(
            payment,
            f"payment of session {payment.driver_session_id} disputed ({payment.dispute_reason or 'no reason given'})",
            {
                "dispute_id": payment.dispute_id,
                "dispute_status": payment.dispute_status,
                "reason": payment.dispute_reason,
                "disputed_at": _iso(payment.disputed_at),
            },
            severity=Severity.CRITICAL,
        )
        for payment in payments
    ]


def _payment_condition(payment: Payment, title: str, details: dict, severity: str = Severity.WARNING) -> Condition:
    station = payment.driver_session.station
    return Condition(
        subject=f"payment:{payment.pk}",
        station_id=station.pk,
        charge_point_id=station.charge_point_id,
        title=f"{station.charge_point_id}: {title}"[:255],
        details={"payment": payment.pk, "driver_session": payment.driver_session_id, **details},
        severity=severity,
    )


def selected(*, per_station: bool, names: tuple[str, ...] | None = None) -> list[Rule]:
    """The rules an evaluation runs: all (or those named), and for one station only those that can."""
    return [r for r in RULES.values() if (names is None or r.name in names) and (r.per_station or not per_station)]
