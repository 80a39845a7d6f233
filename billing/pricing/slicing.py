"""Cut a span of the session into slices over which no tariff input changes.

A slice ends wherever anything a restriction or the price depends on may
change: a charging/parking switch, a meter reading (power and current are
known per reading interval), a local time-of-day, midnight or DST change,
a min/max duration being reached, or consumed energy crossing a min/max kWh
(found by interpolating the meter, as OCPI allows). Restrictions are then
checked once per slice, at its midpoint, which is safely inside whatever
boundaries rounding to the microsecond may have moved.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.pricing.localtime import local_cuts, to_local
from billing.pricing.meter import EnergyCurve
from billing.pricing.restrictions import Moment
from billing.pricing.tariff import ReservationRestriction, Tariff
from billing.pricing.timeline import SessionTimeline, duration_seconds


@dataclass(frozen=True)
class Span:
    """A part of the timeline priced on its own: the session, or the reservation before it."""

    start: datetime
    end: datetime
    reservation: ReservationRestriction | None


@dataclass(frozen=True)
class Slice:
    start: datetime
    end: datetime
    charging: bool
    energy_wh: int
    moment: Moment


def slices(tariff: Tariff, timeline: SessionTimeline, curve: EnergyCurve, span: Span) -> list[Slice]:
    """The span's slices in order; a span without duration gives one empty slice at its start."""
    zone = ZoneInfo(timeline.time_zone)
    cuts = sorted({span.start, span.end} | _cuts(tariff, timeline, curve, span, zone))
    if len(cuts) == 1:
        return [_slice(span.start, span.end, timeline, curve, span, zone)]
    return [_slice(a, b, timeline, curve, span, zone) for a, b in zip(cuts, cuts[1:])]


def _cuts(tariff: Tariff, timeline: SessionTimeline, curve: EnergyCurve, span: Span, zone: ZoneInfo) -> set[datetime]:
    restrictions = [e.restrictions for e in tariff.elements]
    times_of_day = {t for r in restrictions for t in (r.start_time, r.end_time) if t is not None}
    candidates = set(local_cuts(span.start, span.end, zone, times_of_day))
    candidates |= {c.timestamp for c in timeline.state_changes}
    candidates |= set(curve.times)
    for seconds in {s for r in restrictions for s in (r.min_duration, r.max_duration) if s is not None}:
        candidates.add(span.start + timedelta(seconds=seconds))
    if span.reservation is None:
        for kwh in {k for r in restrictions for k in (r.min_kwh, r.max_kwh) if k is not None}:
            if (crossing := curve.crossing(kwh * 1000)) is not None:
                candidates.add(crossing)
    return {c for c in candidates if span.start < c < span.end}


def _slice(
    start: datetime, end: datetime, timeline: SessionTimeline, curve: EnergyCurve, span: Span, zone: ZoneInfo
) -> Slice:
    middle = start + (end - start) / 2
    in_session = span.reservation is None
    levels = curve.levels_at(middle)
    moment = Moment(
        local=to_local(middle, zone),
        elapsed_s=duration_seconds(middle - span.start),
        energy_wh=curve.at(middle) if in_session else Decimal(0),
        power_w=levels.power_w if in_session else None,
        current_a=levels.current_a if in_session else None,
        reservation=span.reservation,
    )
    return Slice(
        start=start,
        end=end,
        charging=in_session and timeline.charging_at(middle),
        energy_wh=curve.rounded_at(end) - curve.rounded_at(start) if in_session else 0,
        moment=moment,
    )
