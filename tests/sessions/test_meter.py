from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sessions.meter import InvalidSample, Sample, energy_wh, normalise

AT = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "unit", "measurand", "expected"),
    [
        ("12.3456", "kWh", "Energy.Active.Import.Register", (Decimal(12346), "Wh")),
        ("1500", "Wh", "Energy.Active.Import.Register", (Decimal(1500), "Wh")),
        ("1500", "", "Energy.Active.Import.Register", (Decimal(1500), "Wh")),  # OCPP's default unit
        ("7.4", "kW", "Power.Active.Import", (Decimal("7400.0"), "W")),
        ("2.5", "kvarh", "Energy.Reactive.Import.Register", (Decimal(2500), "varh")),
        ("230.1", "V", "Voltage", (Decimal("230.1"), "V")),
        ("80", "", "SoC", (Decimal(80), "Percent")),
        ("50.01", "Hz", "Frequency", (Decimal("50.01"), "Hz")),
    ],
)
def test_normalise_converts_to_our_units(value, unit, measurand, expected):
    result = normalise(Sample(timestamp=AT, value=value, unit=unit, measurand=measurand))
    assert (result.value, result.unit) == expected


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity"])
def test_a_value_that_is_not_a_number_is_refused(value):
    with pytest.raises(InvalidSample):
        normalise(Sample(timestamp=AT, value=value))


def test_energy_wh_reads_registers_in_whole_wh():
    assert energy_wh("1.2345", "kWh") == 1234 and energy_wh(42) == 42
