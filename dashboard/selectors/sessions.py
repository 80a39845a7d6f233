"""Reads for the dashboard's session pages: the filtered list (in progress, history, CSV) and one session.

The list must stay fast on millions of transactions: it is paged by keyset
(started_at, id) over an index (charging migration 0007), never counted, and
each page is one query: what a row shows besides the transaction (station,
site's time zone, EVSE, driver, payment) comes in as joined columns.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, Sum, TextChoices
from django.utils import timezone

from billing.models import ChargeDetailRecord, Payment
from billing.pricing.rounding import round_money
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT, STATE_OF_CHARGE
from sessions.models import IdTag, MeterValue, Transaction
from stations.models import ChargingStation, Location

PAGE_SIZE = 50
IN_PROGRESS_LIMIT = 200
EXPORT_CHUNK = 2000


class State(TextChoices):
    RUNNING = "running", "running"
    COMPLETED = "completed", "completed"
    PAYMENT_FAILED = "payment_failed", "with a failed payment"
    DISPUTED = "disputed", "with an open dispute"


class CdrState(TextChoices):
    """Where a session's billing stands, as the list shows it."""

    RUNNING = "running", "running (priced so far)"
    PENDING = "pending", "stopped, not sealed yet"
    SEALED = "sealed", "sealed"
    NOT_BILLED = "not_billed", "not billed (no tariff, or not authorised)"


# Payment.Status as an operator says it.
PAYMENT_STATES = {
    Payment.Status.AUTHORISED: "held",
    Payment.Status.CAPTURED: "captured",
    Payment.Status.REFUNDED: "refunded",
    Payment.Status.FAILED: "failed",
    Payment.Status.CANCELLED: "released",
}


@dataclass(frozen=True)
class Cursor:
    """A page boundary: a row's start and id, the list's order."""

    started_at: datetime
    pk: int

    def __str__(self) -> str:
        return f"{self.started_at.astimezone(UTC).isoformat()}_{self.pk}"


@dataclass(frozen=True)
class SessionFilters:
    site: Location | None = None
    station: ChargingStation | None = None
    driver: str = ""  # an id token value or its owner's e-mail
    date_from: date | None = None  # local dates of the session's site, inclusive
    date_to: date | None = None
    state: str = ""  # a State, or "" for any


@dataclass(frozen=True)
class SessionRow:
    """One session as the list, the CSV and the session page show it."""

    pk: int
    station_id: int
    charge_point_id: str
    evse_number: int
    connector_number: int
    token: str
    driver_email: str
    time_zone: ZoneInfo
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str
    meter_start_wh: int | None
    energy_wh: int | None
    power_w: int | None
    soc_percent: int | None
    currency: str
    cost_excl_vat: Decimal | None
    cost_incl_vat: Decimal | None
    cdr_state: str
    payment_state: str  # "" without a card payment

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def duration(self) -> timedelta:
        return max((self.stopped_at or timezone.now()) - self.started_at, timedelta(0))

    @property
    def cdr_state_label(self) -> str:
        return CdrState(self.cdr_state).label

    @property
    def duration_text(self) -> str:
        return _clock(self.duration)

    @property
    def energy_kwh(self) -> Decimal | None:
        return None if self.energy_wh is None else Decimal(self.energy_wh) / 1000

    @property
    def cursor(self) -> Cursor:
        return Cursor(started_at=self.started_at, pk=self.pk)


@dataclass(frozen=True)
class Page:
    rows: list[SessionRow]
    newer: Cursor | None  # the first row, when newer sessions exist
    older: Cursor | None  # the last row, when older sessions exist


def in_progress(filters: SessionFilters, *, limit: int = IN_PROGRESS_LIMIT) -> tuple[list[SessionRow], bool]:
    """Running sessions (newest first, at most `limit`), and whether more run than shown."""
    if filters.state not in ("", State.RUNNING):
        return [], False
    found = list(_annotated(_filtered(filters)).filter(status=Transaction.Status.ACTIVE)[: limit + 1])
    return [_row(tx) for tx in found[:limit]], len(found) > limit


def history_page(
    filters: SessionFilters, *, before: Cursor | None = None, after: Cursor | None = None, size: int | None = None
) -> Page:
    """One page of the matching sessions that ended (the running ones are in progress), newest first:
    the first page, the one older than `before`, or newer than `after`."""
    size = size or PAGE_SIZE
    sessions = _annotated(_filtered(filters)).exclude(status=Transaction.Status.ACTIVE)
    if after is not None:
        found = list(sessions.filter(_newer_than(after)).order_by("started_at", "pk")[: size + 1])
        if found:
            rows = [_row(tx) for tx in reversed(found[:size])]
            return Page(rows=rows, newer=rows[0].cursor if len(found) > size else None, older=rows[-1].cursor)
        before = None  # nothing newer: the first page
    if before is not None:
        sessions = sessions.filter(_older_than(before))
    found = list(sessions[: size + 1])
    rows = [_row(tx) for tx in found[:size]]
    return Page(
        rows=rows,
        newer=rows[0].cursor if before is not None and rows else None,
        older=rows[-1].cursor if len(found) > size else None,
    )


def export_rows(filters: SessionFilters) -> Iterator[SessionRow]:
    """Every matching session, newest first, read in chunks so an export of millions stays in constant memory."""
    for tx in _annotated(_filtered(filters)).iterator(chunk_size=EXPORT_CHUNK):
        yield _row(tx)


def session_row(transaction_id: int) -> SessionRow | None:
    tx = _annotated(Transaction.objects.filter(pk=transaction_id)).first()
    return None if tx is None else _row(tx)


def _filtered(filters: SessionFilters) -> QuerySet[Transaction]:
    sessions = Transaction.objects.all()
    if filters.site is not None:
        sessions = sessions.filter(station__location=filters.site)
    if filters.station is not None:
        sessions = sessions.filter(station=filters.station)
    if filters.driver:
        sessions = sessions.filter(_driver(filters.driver))
    if filters.date_from or filters.date_to:
        sessions = sessions.filter(_started_between(filters.date_from, filters.date_to, site=filters.site))
    if filters.state == State.RUNNING:
        sessions = sessions.filter(status=Transaction.Status.ACTIVE)
    elif filters.state == State.COMPLETED:
        sessions = sessions.filter(status=Transaction.Status.COMPLETED)
    elif filters.state == State.PAYMENT_FAILED:
        sessions = sessions.filter(driver_session__payment__status=Payment.Status.FAILED)
    elif filters.state == State.DISPUTED:
        sessions = sessions.filter(driver_session__payment__dispute_status__in=Payment.OPEN_DISPUTE_STATUSES)
    return sessions


def _driver(term: str) -> Q:
    """The token as the station sent it, or any token of the driver with that e-mail.

    The owner's tokens are looked up first (a small query on users and tokens), so
    the transactions are found through their indexed columns, not a join per row."""
    owners = get_user_model().objects.filter(email__iexact=term)
    tags = list(IdTag.objects.filter(Q(id_tag=term) | Q(owner__in=owners)).values_list("pk", flat=True))
    return Q(id_tag_value=term) | Q(id_tag_id__in=tags)


def _started_between(first: date | None, last: date | None, *, site: Location | None) -> Q:
    """Started on local days first..last (inclusive) of each session's own site.

    Sites in different time zones start their days at different instants, so
    there is one range per time zone; stations without a site count in
    settings.TIME_ZONE. An outer range over all of them lets the database use
    the started_at index.
    """
    zones = [site.time_zone] if site else sorted(set(Location.objects.values_list("time_zone", flat=True)))
    ranges = {zone: _instants(first, last, ZoneInfo(zone)) for zone in zones}
    within = Q()
    for zone, (start, end) in ranges.items():
        within |= Q(station__location__time_zone=zone) & _range(start, end)
    if site is None:
        start, end = _instants(first, last, ZoneInfo(settings.TIME_ZONE))
        within |= Q(station__location__isnull=True) & _range(start, end)
        ranges["-"] = (start, end)
    starts = [start for start, _ in ranges.values() if start]
    ends = [end for _, end in ranges.values() if end]
    return _range(min(starts) if starts else None, max(ends) if ends else None) & within


def _instants(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(first, time(), tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone) if last else None
    return start, end


def _range(start: datetime | None, end: datetime | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(started_at__gte=start)
    if end is not None:
        q &= Q(started_at__lt=end)
    return q


def _older_than(cursor: Cursor) -> Q:
    """Rows after the cursor in the list's order; the `lte` bound lets the index seek instead of scanning newer rows."""
    return Q(started_at__lte=cursor.started_at) & (Q(started_at__lt=cursor.started_at) | Q(pk__lt=cursor.pk))


def _newer_than(cursor: Cursor) -> Q:
    return Q(started_at__gte=cursor.started_at) & (Q(started_at__gt=cursor.started_at) | Q(pk__gt=cursor.pk))


def _annotated(sessions: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """What a row shows beyond the transaction, as joined columns of the same query (no query per row)."""
    return sessions.annotate(
        charge_point_id=F("station__charge_point_id"),
        site_time_zone=F("station__location__time_zone"),
        evse_number=F("connector__evse__number"),
        connector_number=F("connector__number"),
        driver_email=F("id_tag__owner__email"),
        payment_status=F("driver_session__payment__status"),
    ).order_by("-started_at", "-pk")


def _row(tx) -> SessionRow:
    return SessionRow(
        pk=tx.pk,
        station_id=tx.station_id,
        charge_point_id=tx.charge_point_id,
        evse_number=tx.evse_number,
        connector_number=tx.connector_number,
        token=tx.id_tag_value,
        driver_email=tx.driver_email or "",
        time_zone=ZoneInfo(tx.site_time_zone or settings.TIME_ZONE),
        started_at=tx.started_at,
        stopped_at=tx.stopped_at,
        stop_reason=tx.stop_reason,
        meter_start_wh=tx.meter_start_wh,
        energy_wh=tx.energy_wh,
        power_w=tx.last_power_w if tx.stopped_at is None else None,
        soc_percent=tx.last_soc_percent,
        currency=tx.cost_currency,
        cost_excl_vat=tx.cost_excl_vat,
        cost_incl_vat=tx.cost_incl_vat,
        cdr_state=_cdr_state(tx),
        payment_state=PAYMENT_STATES.get(tx.payment_status, ""),
    )


def _cdr_state(tx: Transaction) -> str:
    """Read from the stored cost: a sealed CDR leaves its total on the transaction as final (billing.services.seal_session)."""
    if tx.stopped_at is None:
        return CdrState.RUNNING
    if not tx.cost_final:
        return CdrState.PENDING
    return CdrState.SEALED if tx.cost_incl_vat is not None else CdrState.NOT_BILLED


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount as stored, as a decimal string: in the currency's minor unit when that is exact (pricing rounds
    totals to it), else every stored digit, so nothing is rounded away in display."""
    rounded = round_money(amount, currency or "XXX")
    return str(rounded if rounded == amount else amount.normalize())


# One session's page: its CDR's lines, its payment, its readings.


@dataclass(frozen=True)
class CdrLine:
    label: str
    quantity: str  # "12.345 kWh", "1:30:00", "" for a fee
    excl_vat: Decimal
    incl_vat: Decimal

    @property
    def vat(self) -> Decimal:
        return self.incl_vat - self.excl_vat


@dataclass(frozen=True)
class Breakdown:
    """A sealed CDR as stored: its dimensions' costs, an adjustment when the total differs (a tariff's min/max price), the total."""

    currency: str
    lines: list[CdrLine]
    total: CdrLine
    tariff_id: str
    invoice_number: str


@dataclass(frozen=True)
class PaymentSummary:
    state: str  # held / captured / refunded / failed / released
    currency: str
    authorised: Decimal
    captured: Decimal  # the hold's capture plus any excess charge
    refunded: Decimal
    failure_code: str


def cdr_breakdown(transaction_id: int) -> Breakdown | None:
    cdr = (
        ChargeDetailRecord.objects.filter(transaction_id=transaction_id)
        .select_related("invoiced_record__invoice")
        .first()
    )
    if cdr is None:
        return None
    lines = [
        CdrLine("Energy", f"{Decimal(cdr.total_energy_wh) / 1000:.3f} kWh", *_cost(cdr, "energy")),
        CdrLine("Charging time", _clock(cdr.total_time), *_cost(cdr, "time")),
        CdrLine("Parking time", _clock(cdr.total_parking_time), *_cost(cdr, "parking")),
        *_fee("Fees", *_cost(cdr, "fixed")),
        *_fee("Reservation", *_cost(cdr, "reservation")),
    ]
    total = CdrLine("Total", "", cdr.total_cost_excl_vat, cdr.total_cost_incl_vat)
    rest_excl = total.excl_vat - sum(line.excl_vat for line in lines)
    rest_incl = total.incl_vat - sum(line.incl_vat for line in lines)
    if rest_excl or rest_incl:
        lines.append(CdrLine("Adjustment (tariff minimum/maximum price, rounding)", "", rest_excl, rest_incl))
    invoiced = getattr(cdr, "invoiced_record", None)
    return Breakdown(
        currency=cdr.currency,
        lines=lines,
        total=total,
        tariff_id=str(cdr.tariff_snapshot.get("id", "")),
        invoice_number=invoiced.invoice.number if invoiced else "",
    )


def payment_summary(transaction_id: int) -> PaymentSummary | None:
    payment = (
        Payment.objects.filter(driver_session__transaction_id=transaction_id)
        .annotate(refunded=Sum("refunds__amount"))
        .first()
    )
    if payment is None:
        return None
    return PaymentSummary(
        state=PAYMENT_STATES.get(payment.status, payment.status),
        currency=payment.currency,
        authorised=payment.amount_authorised,
        captured=payment.amount_captured + payment.amount_excess,
        refunded=payment.refunded or Decimal(0),
        failure_code=payment.failure_code,
    )


def _fee(label: str, excl_vat: Decimal, incl_vat: Decimal) -> list[CdrLine]:
    """A fee the tariff did not charge (0) is no line; the metered dimensions always are."""
    return [CdrLine(label, "", excl_vat, incl_vat)] if excl_vat or incl_vat else []


def _cost(cdr: ChargeDetailRecord, dimension: str) -> tuple[Decimal, Decimal]:
    return getattr(cdr, f"total_{dimension}_cost_excl_vat"), getattr(cdr, f"total_{dimension}_cost_incl_vat")


def _clock(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Reading:
    at: datetime
    value: int


def readings(transaction_id: int, *, meter_start_wh: int | None) -> dict[str, list[Reading]]:
    """The session's power (W), energy delivered (Wh) and state of charge (%) over time, oldest first.

    A meter that reports per phase only is summed over its phases (power,
    energy); one value per moment. Energy is counted from the session's meter
    start when known, else shown as the register reads.
    """
    measurands = {POWER_IMPORT: "power", ENERGY_REGISTER: "energy", STATE_OF_CHARGE: "soc"}
    moments: dict[str, dict[datetime, dict[str, Decimal]]] = {name: {} for name in measurands.values()}
    samples = (
        MeterValue.objects.filter(transaction_id=transaction_id, measurand__in=measurands)
        .order_by("timestamp", "pk")
        .values_list("timestamp", "measurand", "phase", "value")
    )
    for at, measurand, phase, value in samples:
        moments[measurands[measurand]].setdefault(at, {}).setdefault(phase, value)
    series = {
        name: [Reading(at, int(_one_value(name, phases))) for at, phases in by_time.items()]
        for name, by_time in moments.items()
    }
    if meter_start_wh is not None:
        series["energy"] = [Reading(r.at, r.value - meter_start_wh) for r in series["energy"]]
    return series


def _one_value(name: str, phases: dict[str, Decimal]) -> Decimal:
    if "" in phases:
        return phases[""]
    if name == "soc":
        return next(iter(phases.values()))
    return sum(phases.values(), Decimal(0))
