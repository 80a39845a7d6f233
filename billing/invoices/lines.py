"""Invoice lines built from one CDR: one per dimension that costs something, adding up to the CDR's total.

Each line is named after the app's session (the DriverSession id the API
shows), the station and the local start time; energy in kWh, time in
minutes. The engine rounds every dimension total on its own and the total
once, so the rounded dimension totals may miss the total by a cent: the
total is shared out over the lines by the largest-remainder method (each
line within a cent of its dimension total; net and VAT each add up to the
CDR's by construction), so no rounding line is ever shown. Only the tariff's
minimum or maximum price, which the engine applies to the total, is its own
named line.
"""

from datetime import timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from billing import pricing
from billing.invoices.vat import vat_rate
from billing.models import ChargeDetailRecord, InvoiceLine
from billing.pricing.rounding import round_money

_Dim = InvoiceLine.Dimension
_MINUTES = Decimal("0.01")


def record_lines(cdr: ChargeDetailRecord) -> list[InvoiceLine]:
    """Unsaved lines for one CDR, each named after its session: one per dimension that costs something.

    Their amounts add up to the CDR's total, net and gross (see the module's docstring).
    """
    tariff = pricing.tariff_from_ocpi(cdr.tariff_snapshot)
    label = session_label(cdr)
    charging = cdr.total_time - cdr.total_parking_time
    parts = [
        (_Dim.ENERGY, "Energy", Decimal(cdr.total_energy_wh) / 1000, "kWh", "energy"),
        (_Dim.TIME, "Charging time", _minutes(charging), "min", "time"),
        (_Dim.PARKING_TIME, "Parking time", _minutes(cdr.total_parking_time), "min", "parking"),
        (_Dim.FLAT, "Session fee", None, "", "fixed"),
        (_Dim.RESERVATION, "Reservation", None, "", "reservation"),
    ]
    lines = [
        InvoiceLine(
            charge_detail_record=cdr,
            description=f"{label}: {description}",
            dimension=dimension,
            quantity=quantity,
            unit=unit,
            amount_excl_vat=getattr(cdr, f"total_{field}_cost_excl_vat"),
            vat_rate=vat_rate(tariff, dimension),
            amount_incl_vat=getattr(cdr, f"total_{field}_cost_incl_vat"),
        )
        for dimension, description, quantity, unit, field in parts
        if getattr(cdr, f"total_{field}_cost_excl_vat") or getattr(cdr, f"total_{field}_cost_incl_vat")
    ]
    limit = _price_limit(cdr, tariff, lines)
    if limit is None and lines:
        return _shared_out(cdr, lines)
    return lines + _adjustment(cdr, tariff, lines, f"{label}: {limit or 'Price adjustment'}")


def _shared_out(cdr: ChargeDetailRecord, lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Give each line its share of the CDR total (largest remainder), net and VAT each on its own.

    VAT is shared only among lines that carry VAT, so a line without VAT stays without.
    """
    quantum = _minor_unit(cdr.currency)
    net = _largest_remainder(cdr.total_cost_excl_vat, [l.amount_excl_vat for l in lines], quantum)
    vat_weights = [l.amount_incl_vat - l.amount_excl_vat if l.vat_rate else Decimal(0) for l in lines]
    vat = _largest_remainder(cdr.total_cost_incl_vat - cdr.total_cost_excl_vat, vat_weights, quantum)
    for line, line_net, line_vat in zip(lines, net, vat):
        line.amount_excl_vat, line.amount_incl_vat = line_net, line_net + line_vat
    return lines


def _largest_remainder(total: Decimal, weights: list[Decimal], quantum: Decimal) -> list[Decimal]:
    """`total` split in proportion to `weights`, in whole minor units that add up to it exactly.

    Each part is first rounded down; the units left go one each to the parts
    that lost most by it (the earlier line on a tie). Without weights, the
    first part takes it all.
    """
    units = int((total / quantum).to_integral_value())
    weight = sum(weights, Decimal(0))
    if not weight:
        return [total if i == 0 else Decimal(0) for i in range(len(weights))]
    exact = [units * w / weight for w in weights]
    shares = [int(e.to_integral_value(ROUND_FLOOR)) for e in exact]
    by_loss = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_loss[: units - sum(shares)]:
        shares[i] += 1
    return [share * quantum for share in shares]


def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(round_money(Decimal(0), currency).as_tuple().exponent)


def _adjustment(
    cdr: ChargeDetailRecord, tariff: pricing.Tariff, lines: list[InvoiceLine], description: str
) -> list[InvoiceLine]:
    """What takes the lines to the CDR total when the tariff's minimum or maximum price set it.

    Booked at the VAT rate of the largest line (the tariff's only rate when there are none).
    """
    excl = cdr.total_cost_excl_vat - sum((l.amount_excl_vat for l in lines), Decimal(0))
    incl = cdr.total_cost_incl_vat - sum((l.amount_incl_vat for l in lines), Decimal(0))
    if not excl and not incl:
        return []
    rate = max(lines, key=lambda l: l.amount_excl_vat).vat_rate if lines else vat_rate(tariff, None)
    return [
        InvoiceLine(
            charge_detail_record=cdr,
            description=description,
            dimension=_Dim.ADJUSTMENT,
            amount_excl_vat=excl,
            vat_rate=rate,
            amount_incl_vat=incl,
        )
    ]


def _price_limit(cdr: ChargeDetailRecord, tariff: pricing.Tariff, lines: list[InvoiceLine]) -> str | None:
    """ "Minimum/Maximum price of the tariff" when that limit set the CDR's total, else None."""

    def is_total(limit: pricing.Price | None) -> bool:
        prices = (
            []
            if limit is None
            else [(limit.excl_vat, cdr.total_cost_excl_vat), (limit.incl_vat, cdr.total_cost_incl_vat)]
        )
        return any(price is not None and round_money(price, cdr.currency) == total for price, total in prices)

    excl = cdr.total_cost_excl_vat - sum((l.amount_excl_vat for l in lines), Decimal(0))
    incl = cdr.total_cost_incl_vat - sum((l.amount_incl_vat for l in lines), Decimal(0))
    if (excl > 0 or incl > 0) and is_total(tariff.min_price):
        return "Minimum price of the tariff"
    if (excl < 0 or incl < 0) and is_total(tariff.max_price):
        return "Maximum price of the tariff"
    return None


def _minutes(duration: timedelta) -> Decimal:
    """Minutes to the hundredth, exact to the microsecond (no float); a time that was billed never reads 0 min."""
    minutes = Decimal(duration // timedelta(microseconds=1)) / 60_000_000
    shown = minutes.quantize(_MINUTES, rounding=ROUND_HALF_UP)
    return _MINUTES if minutes > 0 and not shown else shown


def session_label(cdr: ChargeDetailRecord) -> str:
    """The session as the driver's app names it: its number, the station and the local start time."""
    transaction = cdr.transaction
    station = transaction.station
    zone = ZoneInfo(station.location.time_zone if station.location else "UTC")
    number = getattr(transaction, "driver_session", None)  # select_related by the callers: no query per line
    number = number.pk if number else None
    name = f"Session {number}" if number else "Session"
    return f"{name} at {station.charge_point_id}, {transaction.started_at.astimezone(zone):%Y-%m-%d %H:%M}"
