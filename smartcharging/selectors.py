"""What a re-plan reads: a balanced site's state as the allocator's frozen values, and what it needs to send.

Whether an EVSE can be steered is decided here, once: it cannot when the operator excluded it, when its
station has no socket (a charger that lost its link follows its default profile, or none: taken at its
maximum), or when its charger refused or could not take a profile for the transaction it runs now.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Max

from sessions.models import DriverSession, MeterValue, Transaction
from smartcharging import allocation
from smartcharging.models import BalancedSite, ControlledEvse, EvseAllocation, GroupPriority, SessionPriority

GRID = "grid"
CURRENT = "Current.Import"


@dataclass(frozen=True)
class Target:
    """Where an EVSE's profile goes: its station, its EVSE number, the transaction it would limit."""

    controlled_id: int
    station_id: int
    evse_number: int
    dc: bool
    phases: int
    transaction_id: int | None
    transaction_uid: str | None


@dataclass(frozen=True)
class SiteState:
    site: allocation.Site
    targets: dict[str, Target]  # by the allocator's EVSE id


def site_of_station(*, station_id: int) -> int | None:
    """The enabled balanced site a station's location belongs to, if any."""
    return (
        BalancedSite.objects.filter(enabled=True, location__stations__pk=station_id)
        .values_list("pk", flat=True)
        .first()
    )


def enabled_sites() -> list[int]:
    return list(BalancedSite.objects.filter(enabled=True).values_list("pk", flat=True))


def evse_key(controlled_id: int) -> str:
    return f"evse{controlled_id}"


def circuit_key(circuit_id: int | None) -> str:
    return GRID if circuit_id is None else f"c{circuit_id}"


def site_state(*, site_id: int, now: datetime, every_evse_drawing: bool = False) -> SiteState:
    """The site as the allocator takes it. `every_evse_drawing`: as if a car drew on every steerable EVSE
    (the safe default's question), measurements ignored."""
    site = BalancedSite.objects.get(pk=site_id)
    evses, targets = [], {}
    controlled = ControlledEvse.objects.filter(site=site).select_related("evse__station", "allocation")
    for row in controlled:
        tx = _running_transaction(row.evse_id)
        evse = _evse(row, tx, site, now, every_evse_drawing)
        evses.append(evse)
        station = row.evse.station
        targets[evse.id] = Target(
            controlled_id=row.pk,
            station_id=station.pk,
            evse_number=row.evse.number,
            dc=row.dc,
            phases=row.phases,
            transaction_id=tx.pk if tx else None,
            transaction_uid=tx.uid if tx else None,
        )
    planned = allocation.Site(
        circuits=_circuits(site),
        evses=tuple(evses),
        loads=tuple(
            allocation.Load(id=f"load{load.pk}", circuit=circuit_key(load.circuit_id), draw_a=(load.max_a,) * 3)
            for load in site.loads.all()
        ),
        settings=allocation.AllocationSettings(voltage_v=site.voltage_v, buffer_a=site.buffer_a),
    )
    return SiteState(site=planned, targets=targets)


def _circuits(site: BalancedSite) -> tuple[allocation.Circuit, ...]:
    grid = allocation.Circuit(
        id=GRID, limit_a=None if site.limit_a is None else (site.limit_a,) * 3, limit_kw=site.limit_kw
    )
    return (grid,) + tuple(
        allocation.Circuit(
            id=circuit_key(c.pk),
            parent=circuit_key(c.parent_id),
            limit_a=None if c.limit_a is None else (c.limit_a,) * 3,
            limit_kw=c.limit_kw,
        )
        for c in site.circuits.all()
    )


def _running_transaction(evse_id: int) -> Transaction | None:
    return (
        Transaction.objects.filter(connector__evse_id=evse_id, status=Transaction.Status.ACTIVE)
        .order_by("-started_at")
        .first()
    )


def _evse(
    row: ControlledEvse, tx: Transaction | None, site: BalancedSite, now: datetime, every_evse_drawing: bool
) -> allocation.Evse:
    last = getattr(row, "allocation", None)
    controllable = (
        not row.excluded
        and row.evse.station.is_connected
        and (every_evse_drawing or tx is None or last is None or last.refused_transaction_id != tx.pk)
    )
    cap = _cap(row, tx, site)
    steered = allocation.Evse(
        id=evse_key(row.pk),
        circuit=circuit_key(row.circuit_id),
        controllable=controllable,
        wants_power=every_evse_drawing or tx is not None,
        priority=0 if tx is None else transaction_priority(transaction_id=tx.pk),
    )
    if row.dc:
        max_kw = row.max_kw if cap is None else min(cap, row.max_kw)
        return replace(steered, kind=allocation.Kind.DC, min_kw=row.min_kw, max_kw=max_kw)
    max_a = row.max_a if cap is None else max(row.min_a, min(cap, row.max_a))
    since = now - timedelta(seconds=site.observation_s)
    measured = None if every_evse_drawing or tx is None else _recent_current(tx, since)
    return replace(
        steered,
        phases=row.phases,
        rotation=tuple(row.rotation.split(",")),
        min_a=row.min_a,
        max_a=max_a,
        under_drawing=_under_drawing(last, tx, measured, site, now),
        measured_a=measured,
    )


def _cap(row: ControlledEvse, tx: Transaction | None, site: BalancedSite) -> float | None:
    """The lower of the operator's override and the driver's own power limit for the session (which
    sessions.remote_control sends below our profiles' stack level), in the EVSE's unit: kW for DC, A for AC."""
    caps = [] if row.override_limit is None else [row.override_limit]
    driver_w = (
        None
        if tx is None
        else DriverSession.objects.filter(transaction=tx).values_list("max_power_w", flat=True).first()
    )
    if driver_w:
        caps.append(driver_w / 1000 if row.dc else driver_w / (site.voltage_v * row.phases))
    return min(caps, default=None)


def _recent_current(tx: Transaction, since: datetime) -> tuple[float, float, float] | None:
    """The highest current measured on each phase since `since`, if every phase (or the total) was read."""
    rows = (
        MeterValue.objects.filter(transaction=tx, measurand=CURRENT, timestamp__gte=since)
        .values("phase")
        .annotate(peak=Max("value"))
    )
    peaks = {r["phase"].split("-")[0]: float(r["peak"]) for r in rows}
    if all(p in peaks for p in allocation.PHASES):
        return (peaks["L1"], peaks["L2"], peaks["L3"])
    if "" in peaks:
        return (peaks[""],) * 3
    return None


def _under_drawing(
    last: EvseAllocation | None,
    tx: Transaction | None,
    measured: tuple[float, float, float] | None,
    site: BalancedSite,
    now: datetime,
) -> bool:
    """It held its limit for the whole observation window and drew less than the limit minus the buffer."""
    if tx is None or measured is None or last is None or last.sent_limit is None or last.sent_at is None:
        return False
    held_long_enough = last.sent_transaction_id == tx.pk and last.sent_at <= now - timedelta(seconds=site.observation_s)
    return held_long_enough and max(measured) < last.sent_limit - site.buffer_a


def transaction_priority(*, transaction_id: int) -> int:
    """The operator's priority for the session, else the highest of its driver's groups, else 0."""
    own = SessionPriority.objects.filter(transaction_id=transaction_id).values_list("priority", flat=True).first()
    if own is not None:
        return own
    driver = DriverSession.objects.filter(transaction_id=transaction_id).values_list("driver_id", flat=True).first()
    if driver is None:
        return 0
    best = GroupPriority.objects.filter(group__user__pk=driver).aggregate(best=Max("priority"))["best"]
    return best or 0
