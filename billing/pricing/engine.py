"""price_session: a tariff and a session timeline in, a CDR-like result out.

The session (and the reservation before it, if any) is cut into slices
(slicing), grouped into charging periods each priced by the first matching
element per dimension (periods), costed with the step-size rule and VAT per
component (costing), summed exactly, held between the tariff's min_price and
max_price (excl. and incl. VAT each on its own), and rounded once (rounding).
FLAT is charged once per session, from the first moment an element with a
FLAT component matches; a reservation's FLAT fee counts as reservation cost.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from billing.pricing.costing import CostLine, energy_lines, flat_line, time_lines
from billing.pricing.meter import EnergyCurve, energy_curve
from billing.pricing.periods import Period, first_flat, periods
from billing.pricing.result import Cdr, CdrDimension, ChargingPeriod
from billing.pricing.rounding import round_price
from billing.pricing.slicing import Span, slices
from billing.pricing.tariff import Dimension, Price, ReservationRestriction, Tariff
from billing.pricing.timeline import ReservationSpan, SessionTimeline

_KILO = Decimal(1000)
_HOUR = Decimal(3600)


@dataclass(frozen=True)
class _Priced:
    periods: list[Period]
    lines: list[CostLine]


_NOTHING = _Priced(periods=[], lines=[])


def price_session(tariff: Tariff, timeline: SessionTimeline) -> Cdr:
    curve = energy_curve(timeline.readings)
    reservation = timeline.reservation
    booked = _price_span(tariff, timeline, curve, _reservation_span(reservation)) if reservation else _NOTHING
    expired = reservation is not None and reservation.expired
    session = _NOTHING if expired else _price_span(tariff, timeline, curve, Span(timeline.start, timeline.end, None))
    return _cdr(tariff, timeline, booked, session)


def _reservation_span(reservation: ReservationSpan) -> Span:
    phase = ReservationRestriction.RESERVATION_EXPIRES if reservation.expired else ReservationRestriction.RESERVATION
    return Span(reservation.start, reservation.end, phase)


def _price_span(tariff: Tariff, timeline: SessionTimeline, curve: EnergyCurve, span: Span) -> _Priced:
    pieces = slices(tariff, timeline, curve, span)
    grouped = periods(tariff, pieces)
    lines = flat_line(first_flat(tariff, pieces)) + energy_lines(grouped) + time_lines(grouped)
    return _Priced(periods=grouped, lines=lines)


def _cdr(tariff: Tariff, timeline: SessionTimeline, booked: _Priced, session: _Priced) -> Cdr:
    def total(lines: list[CostLine], *dimensions: str) -> Price:
        return round_price(_sum([l for l in lines if not dimensions or l.dimension in dimensions]), tariff.currency)

    everything = _limited(_sum(booked.lines + session.lines), tariff)
    return Cdr(
        tariff_id=tariff.id,
        currency=tariff.currency,
        start_date_time=_utc(timeline.reservation.start if timeline.reservation else timeline.start),
        end_date_time=_utc(timeline.end),
        charging_periods=tuple(_charging_period(tariff, p) for p in booked.periods + session.periods),
        total_cost=round_price(everything, tariff.currency),
        total_fixed_cost=total(session.lines, Dimension.FLAT),
        total_energy_wh=sum(p.energy_wh for p in session.periods),
        total_energy_cost=total(session.lines, Dimension.ENERGY),
        total_time_s=sum((p.seconds for p in session.periods), Decimal(0)),
        total_time_cost=total(session.lines, Dimension.TIME),
        total_parking_time_s=sum(
            (p.seconds for p in session.periods if p.time_dimension == "PARKING_TIME"), Decimal(0)
        ),
        total_parking_cost=total(session.lines, Dimension.PARKING_TIME),
        total_reservation_cost=total(booked.lines),
    )


def _sum(lines: list[CostLine]) -> Price:
    """The exact, unrounded sum of the lines."""
    return Price(sum((l.excl_vat for l in lines), Decimal(0)), sum((l.incl_vat for l in lines), Decimal(0)))


def _limited(total: Price, tariff: Tariff) -> Price:
    """min_price and max_price hold for the total excl. VAT and incl. VAT, each on its own."""
    excl, incl = total.excl_vat, total.incl_vat
    if tariff.min_price is not None:
        excl = max(excl, tariff.min_price.excl_vat)
        if incl is not None and tariff.min_price.incl_vat is not None:
            incl = max(incl, tariff.min_price.incl_vat)
    if tariff.max_price is not None:
        excl = min(excl, tariff.max_price.excl_vat)
        if incl is not None and tariff.max_price.incl_vat is not None:
            incl = min(incl, tariff.max_price.incl_vat)
    return Price(excl, incl)


def _charging_period(tariff: Tariff, period: Period) -> ChargingPeriod:
    dimensions = [CdrDimension(period.time_dimension, period.seconds / _HOUR)]
    if period.time_dimension != "RESERVATION_TIME":
        dimensions.append(CdrDimension("ENERGY", Decimal(period.energy_wh) / _KILO))
    if period.time_dimension == "TIME":
        dimensions += _levels("POWER", period.power_w, _KILO) + _levels("CURRENT", period.current_a, Decimal(1))
    return ChargingPeriod(start_date_time=_utc(period.start), dimensions=tuple(dimensions), tariff_id=tariff.id)


def _levels(name: str, seen: tuple[Decimal, Decimal] | None, unit: Decimal) -> list[CdrDimension]:
    if seen is None:
        return []
    return [CdrDimension(f"MIN_{name}", seen[0] / unit), CdrDimension(f"MAX_{name}", seen[1] / unit)]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
