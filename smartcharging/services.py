"""Real-time site load balancing: re-plan a site, send the profiles that changed, and give every EVSE a safe
default when its station connects. Charger actions go through the command port only.

**Re-plan.** Read the site (selectors.site_state), run the allocator, store each EVSE's decision, and send a
TxProfile (1.6 TxProfile on the transaction's connector, 2.0.1 TxProfile on its EVSE; A for AC, W for DC)
to each running transaction whose limit changed. A charger that refuses, fails or cannot be reached is
recorded as refusing profiles for that transaction, which makes it uncontrollable (taken at its maximum),
and the site is planned again without it: each round takes at least one more EVSE out of control, so the
rounds end, and no profile is sent twice to a charger that said no.

**Safe default.** At a station's connection each of its steerable EVSEs gets a TxDefaultProfile with the
limit it would get if a car drew on every steerable EVSE of the site at once (the same allocator, every EVSE
wanting power, nothing measured, excluded EVSEs and uncontrolled loads at their maximum). When not every
minimum fits at once, every steerable EVSE gets its minimum instead (below it a car does not charge at
all): a charger that loses its link then falls back to a limit the site carries unless more cars than the
limit carries at their minimums draw at the same time, which the operator sees as waiting EVSEs.

**Serialised.** A re-plan holds a lock per site in the shared cache; one that finds it held returns None
and its caller schedules another (smartcharging.tasks).
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.commands import CommandError
from csms.shared_cache import shared_cache
from smartcharging import allocation, selectors
from smartcharging.allocation import Status
from smartcharging.models import Circuit, EvseAllocation
from smartcharging.selectors import SiteState, Target

logger = logging.getLogger(__name__)

# Above the TxDefaultProfile (0) and a driver's own power limit (sessions.remote_control, 1).
TX_STACK_LEVEL = 2
DEFAULT_STACK_LEVEL = 0
# Each EVSE keeps one profile id per purpose, so a new limit replaces the old one on the charger.
TX_PROFILE_BASE = 1_000_000
DEFAULT_PROFILE_BASE = 2_000_000
STATION_MAX_PROFILE_BASE = 3_000_000
LOCK_SECONDS = 120
SENT = {Status.CHARGING, Status.WAITING}


@contextmanager
def site_lock(site_id: int) -> Iterator[bool]:
    """True when this caller holds the site's lock until the block ends; False when another re-plan does."""
    key, token = f"smartcharging:lock:{site_id}", uuid.uuid4().hex
    held = shared_cache().add(key, token, timeout=LOCK_SECONDS)
    try:
        yield held
    finally:
        if held and shared_cache().get(key) == token:
            shared_cache().delete(key)


def replan(*, site_id: int) -> allocation.Allocation | None:
    """Allocate the site now and send what changed; None when another re-plan of the site is running."""
    with site_lock(site_id) as held:
        if not held:
            return None
        return _replan(site_id)


def _replan(site_id: int) -> allocation.Allocation:
    now = timezone.now()
    while True:
        state = selectors.site_state(site_id=site_id, now=now)
        result = allocation.allocate(state.site)
        _store(result, state, now)
        if not _send_changed(result, state, now):
            return result


def _store(result: allocation.Allocation, state: SiteState, now: datetime) -> None:
    for decided in result.evses:
        EvseAllocation.objects.update_or_create(
            evse_id=state.targets[decided.evse_id].controlled_id,
            defaults={
                "status": decided.status.value,
                "limit": _limit(decided),
                "reason": decided.reason[:255],
                "decided_at": now,
            },
        )


def _limit(decided: allocation.EvseAllocation) -> float | None:
    return decided.limit_kw if decided.limit_kw is not None else decided.limit_a


def _send_changed(result: allocation.Allocation, state: SiteState, now: datetime) -> bool:
    """Send each running transaction's changed limit; True when a charger refused one (plan again)."""
    refused = False
    for decided in result.evses:
        target = state.targets[decided.evse_id]
        if decided.status not in SENT or target.transaction_id is None:
            continue
        limit = _limit(decided) or 0.0
        last = EvseAllocation.objects.get(evse_id=target.controlled_id)
        if last.sent_transaction_id == target.transaction_id and last.sent_limit == limit:
            continue
        refused |= not _send_tx_profile(target, limit, last, now)
    return refused


def _send_tx_profile(target: Target, limit: float, last: EvseAllocation, now: datetime) -> bool:
    profile = _profile(
        target, limit, profile_id=TX_PROFILE_BASE + target.controlled_id, purpose="Tx", stack_level=TX_STACK_LEVEL
    )
    try:
        commands.send.sync(
            target.station_id, commands.SetChargingProfile(evse_number=target.evse_number, profile=profile)
        )
    except CommandError as error:
        last.answer, last.refused_transaction_id = str(error)[:255], target.transaction_id
        last.save(update_fields=["answer", "refused_transaction"])
        return False
    last.sent_limit, last.sent_transaction_id, last.sent_at, last.answer = limit, target.transaction_id, now, "Accepted"
    last.save(update_fields=["sent_limit", "sent_transaction", "sent_at", "answer"])
    return True


def _profile(
    target: Target, limit: float, *, profile_id: int, purpose: str, stack_level: int
) -> commands.ChargingProfile:
    """A one-period profile relative to the session's start: A on the wired phases for AC, W for DC."""
    if target.dc:
        period = commands.SchedulePeriod(start_s=0, limit=round(limit * 1000))
    else:
        period = commands.SchedulePeriod(start_s=0, limit=limit, phases=target.phases)
    is_tx = purpose == "Tx"
    return commands.ChargingProfile(
        profile_id=profile_id,
        stack_level=stack_level,
        purpose=purpose,
        rate_unit="W" if target.dc else "A",
        periods=[period],
        kind="Relative",
        transaction_id=target.transaction_id if is_tx else None,
        transaction_uid=target.transaction_uid if is_tx else None,
    )


def station_connected(*, station_id: int) -> None:
    """A station (re)connected: what its chargers refused before is tried again, its own supply circuit's
    limit is set as its station max profile, and each of its steerable EVSEs gets its safe default (see
    the module's docstring)."""
    site_id = selectors.site_of_station(station_id=station_id)
    if site_id is None:
        return
    _send_station_max(station_id)
    EvseAllocation.objects.filter(evse__evse__station_id=station_id).update(refused_transaction=None)
    state = selectors.site_state(site_id=site_id, now=timezone.now(), every_evse_drawing=True)
    result = allocation.allocate(state.site)
    evses = {e.id: e for e in state.site.evses}
    crowded = any(decided.status is Status.WAITING for decided in result.evses)
    for decided in result.evses:
        target = state.targets[decided.evse_id]
        if target.station_id == station_id and decided.status is not Status.UNCONTROLLED:
            _send_default(target, safe_limit(decided, evses[decided.evse_id], crowded=crowded))


def _send_station_max(station_id: int) -> None:
    """A fuse that feeds one station alone is a cap the station can keep by itself, link or not: a
    ChargingStationMaxProfile (1.6 ChargePointMaxProfile) on EVSE 0, in A per phase (or W for a kW limit)."""
    circuit = Circuit.objects.filter(station_id=station_id).first()
    if circuit is None or (circuit.limit_a is None and circuit.limit_kw is None):
        return
    if circuit.limit_a is not None:
        rate_unit, period = "A", commands.SchedulePeriod(start_s=0, limit=circuit.limit_a, phases=3)
    else:
        rate_unit, period = "W", commands.SchedulePeriod(start_s=0, limit=round((circuit.limit_kw or 0) * 1000))
    profile = commands.ChargingProfile(
        profile_id=STATION_MAX_PROFILE_BASE + circuit.pk,
        stack_level=DEFAULT_STACK_LEVEL,
        purpose="StationMax",
        rate_unit=rate_unit,
        periods=[period],
        kind="Relative",
    )
    circuit.station_max_answer = _answer(station_id, commands.SetChargingProfile(evse_number=0, profile=profile))
    circuit.save(update_fields=["station_max_answer"])


def _answer(station_id: int, command: commands.Command) -> str:
    """Send a profile whose refusal changes no plan: what the charger said, for the operator."""
    try:
        commands.send.sync(station_id, command)
    except CommandError as error:
        logger.warning("%s not set on station %s: %s", type(command).__name__, station_id, error)
        return str(error)[:255]
    return "Accepted"


def safe_limit(decided: allocation.EvseAllocation, evse: allocation.Evse, *, crowded: bool) -> float:
    """Its share with every EVSE drawing; its minimum when not every minimum fits (`crowded`)."""
    dc = evse.kind is allocation.Kind.DC
    if crowded:
        return evse.min_kw if dc else evse.min_a
    return (decided.limit_kw if dc else decided.limit_a) or 0.0


def _send_default(target: Target, limit: float) -> None:
    profile = _profile(
        target,
        limit,
        profile_id=DEFAULT_PROFILE_BASE + target.controlled_id,
        purpose="TxDefault",
        stack_level=DEFAULT_STACK_LEVEL,
    )
    answer = _answer(target.station_id, commands.SetChargingProfile(evse_number=target.evse_number, profile=profile))
    sent = {"default_limit": limit, "default_answer": answer}
    EvseAllocation.objects.update_or_create(
        evse_id=target.controlled_id,
        create_defaults={"status": Status.IDLE.value, "decided_at": timezone.now(), **sent},
        defaults=sent,
    )
