"""The real-time allocation rule: worked examples an operator checks by hand, then properties over random
sites (hypothesis): every fuse's phases within limits, no EVSE between 0 and its minimum or above its
maximum, the same answer whatever the order of the inputs."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcharging.allocation import (
    PHASES,
    Allocation,
    AllocationSettings,
    Circuit,
    Evse,
    InvalidSite,
    Kind,
    Load,
    Site,
    Status,
    allocate,
)

EXACT = AllocationSettings(step_a=0, step_kw=0)


def three_phase(circuit_id: str, amps: float, parent: str | None = None) -> Circuit:
    return Circuit(circuit_id, parent, limit_a=(amps, amps, amps))


def limits(allocation: Allocation) -> dict[str, float | None]:
    return {e.evse_id: e.limit_a if e.limit_a is not None else e.limit_kw for e in allocation.evses}


def test_twenty_22kw_chargers_share_a_150kw_connection_equally():
    evses = tuple(Evse(f"E{i:02d}", "grid", max_a=32) for i in range(20))
    result = allocate(Site((Circuit("grid", limit_kw=150),), evses))
    # 150 kW / 20 = 7.5 kW each = 7500 / (3 × 230) = 10.87 A, rounded down to 10.8 A
    assert set(limits(result).values()) == {10.8}
    assert all(e.status is Status.CHARGING for e in result.evses)
    assert result.circuit("grid").power_kw == pytest.approx(20 * 10.8 * 3 * 230 / 1000)
    assert result.circuit("grid").power_kw <= 150


def test_ten_evses_on_100a_three_phase_get_10a_each():
    evses = tuple(Evse(f"E{i}", "grid", max_a=32) for i in range(10))
    result = allocate(Site((three_phase("grid", 100),), evses))
    assert set(limits(result).values()) == {10.0}
    assert result.circuit("grid").load_a == pytest.approx((100, 100, 100))
    assert result.evse("E3").reason == "fair share of circuit grid L1"


def test_single_phase_evses_on_rotated_wiring_spread_over_the_phases():
    rotations = [("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2")]
    evses = tuple(Evse(f"E{i}", "grid", phases=1, rotation=rotations[i % 3], max_a=32) for i in range(6))
    result = allocate(Site((three_phase("grid", 40),), evses))
    # two EVSEs per phase: 20 A each; wired all on L1 they would get 6.6 A... here every phase is full
    assert set(limits(result).values()) == {20.0}
    assert result.circuit("grid").load_a == pytest.approx((40, 40, 40))


def test_single_phase_evse_on_l2_leaves_room_on_l1_and_l3_for_three_phase_ones():
    evses = (
        Evse("A-1ph", "grid", phases=1, rotation=("L2", "L3", "L1"), max_a=32),
        Evse("B-3ph", "grid", max_a=32),
        Evse("C-3ph", "grid", max_a=32),
    )
    result = allocate(Site((three_phase("grid", 30),), evses, settings=EXACT))
    # L2 carries all three: 10 A each; L1 and L3 carry B and C only, but they are held by L2
    assert limits(result) == {"A-1ph": 10.0, "B-3ph": 10.0, "C-3ph": 10.0}
    assert result.circuit("grid").load_a == pytest.approx((20, 30, 20))


def test_a_full_feeder_stops_its_evses_and_the_others_take_the_rest_of_the_site():
    circuits = (three_phase("grid", 63), three_phase("feeder-A", 16, "grid"), three_phase("feeder-B", 63, "grid"))
    evses = (
        Evse("A1", "feeder-A", max_a=32),
        Evse("A2", "feeder-A", max_a=32),
        Evse("B1", "feeder-B", max_a=32),
        Evse("B2", "feeder-B", max_a=32),
    )
    result = allocate(Site(circuits, evses, settings=EXACT))
    # feeder A: 16 A over two = 8 A each; the site's 63 - 16 = 47 A over B1, B2 = 23.5 A each
    assert limits(result) == {"A1": 8.0, "A2": 8.0, "B1": 23.5, "B2": 23.5}
    assert result.evse("A1").reason == "fair share of circuit feeder-A L1"
    assert result.evse("B1").reason == "fair share of circuit grid L1"
    assert result.circuit("grid").load_a == pytest.approx((63, 63, 63))


def test_a_priority_group_is_served_before_the_others():
    evses = (
        Evse("fleet-1", "grid", max_a=16, priority=10),
        Evse("fleet-2", "grid", max_a=16, priority=10),
        Evse("guest-1", "grid", max_a=32),
        Evse("guest-2", "grid", max_a=32),
    )
    result = allocate(Site((three_phase("grid", 50),), evses))
    # the fleet takes its 2 × 16 A first; the guests share the 18 A left
    assert limits(result) == {"fleet-1": 16.0, "fleet-2": 16.0, "guest-1": 9.0, "guest-2": 9.0}
    assert result.evse("fleet-1").reason == "at its maximum"


def test_a_car_that_cannot_get_6a_waits_and_its_share_goes_to_the_others():
    evses = tuple(Evse(f"E{i}", "grid", max_a=32) for i in range(4))
    result = allocate(Site((three_phase("grid", 20),), evses))
    # 20 A over four would be 5 A each, below 6 A: three are admitted (18 A), the fourth waits
    assert limits(result) == {"E0": 6.6, "E1": 6.6, "E2": 6.6, "E3": 0.0}
    waiting = result.evse("E3")
    assert waiting.status is Status.WAITING
    assert waiting.reason == "waits for capacity: circuit grid L1 has 2.0 A free, its minimum needs 6.0 A"
    assert result.circuit("grid").load_a[0] <= 20


def test_an_uncontrollable_station_is_taken_at_its_maximum():
    evses = (
        Evse("old", "grid", max_a=32, controllable=False),
        Evse("E1", "grid", max_a=32),
        Evse("E2", "grid", max_a=32),
    )
    result = allocate(Site((three_phase("grid", 63),), evses, settings=EXACT))
    assert limits(result) == {"old": None, "E1": 15.5, "E2": 15.5}
    old = result.evse("old")
    assert old.status is Status.UNCONTROLLED
    assert old.power_kw == pytest.approx(32 * 3 * 230 / 1000)
    assert result.circuit("grid").load_a == pytest.approx((63, 63, 63))


def test_a_measured_building_load_is_taken_off_per_phase():
    loads = (Load("building", "grid", draw_a=(40, 10, 25)),)
    evses = tuple(Evse(f"E{i}", "grid", max_a=32) for i in range(3))
    result = allocate(Site((three_phase("grid", 100),), evses, loads, settings=EXACT))
    # L1 is the tight phase: 100 - 40 = 60 A over three three-phase EVSEs
    assert set(limits(result).values()) == {20.0}
    assert result.circuit("grid").load_a == pytest.approx((100, 70, 85))


def test_a_building_over_the_limit_by_itself_leaves_nothing_and_is_flagged():
    loads = (Load("building", "grid", draw_a=(70, 10, 10)),)
    result = allocate(Site((three_phase("grid", 63),), (Evse("E1", "grid"),), loads))
    assert result.evse("E1").status is Status.WAITING
    assert result.circuit("grid").overloaded


def test_under_drawing_capacity_goes_to_the_others_keeping_the_buffer():
    evses = (
        Evse("slow", "grid", max_a=32, under_drawing=True, measured_a=(7.0, 7.1, 6.9)),
        Evse("E1", "grid", max_a=32),
        Evse("E2", "grid", max_a=32),
    )
    result = allocate(Site((three_phase("grid", 48),), evses, settings=AllocationSettings(buffer_a=2)))
    # without the observation: 16 A each. The slow car draws 7.1 A: held at 9.1 A, the others share 38.9 A
    assert limits(result) == {"slow": 9.1, "E1": 19.4, "E2": 19.4}
    assert result.evse("slow").reason == "draws less than it was given: held at its draw plus the buffer"
    assert result.circuit("grid").load_a[0] <= 48


def test_under_drawing_is_never_held_below_the_minimum():
    evses = (Evse("slow", "grid", max_a=32, under_drawing=True, measured_a=(1.0, 1.0, 1.0)), Evse("E1", "grid"))
    result = allocate(Site((three_phase("grid", 40),), evses, settings=EXACT))
    assert limits(result) == {"slow": 6.0, "E1": 32.0}


def test_dc_evses_are_limited_in_kw_and_load_three_phases_evenly():
    evses = (
        Evse("dc-1", "grid", kind=Kind.DC, min_kw=5, max_kw=150),
        Evse("dc-2", "grid", kind=Kind.DC, min_kw=5, max_kw=50),
        Evse("ac-1", "grid", max_a=32),
    )
    result = allocate(Site((Circuit("grid", limit_a=(250, 250, 250), limit_kw=150),), evses, settings=EXACT))
    # 150 kW: ac-1 is at 32 A (22.08 kW) below the level; dc-2 at its 50 kW; dc-1 takes 77.92 kW
    assert result.evse("ac-1").limit_a == 32
    assert result.evse("dc-2").limit_kw == pytest.approx(50)
    assert result.evse("dc-1").limit_kw == pytest.approx(150 - 50 - 22.08)
    assert result.evse("dc-1").limit_a is None
    assert result.circuit("grid").power_kw == pytest.approx(150)
    assert result.circuit("grid").load_a[0] == pytest.approx(150_000 / (3 * 230))


def test_an_idle_evse_gets_nothing():
    result = allocate(Site((three_phase("grid", 32),), (Evse("E1", "grid", wants_power=False), Evse("E2", "grid"))))
    assert limits(result) == {"E1": 0.0, "E2": 32.0}
    assert result.evse("E1").status is Status.IDLE


@pytest.mark.parametrize(
    "site",
    [
        Site((Circuit("a", "b"), Circuit("b", "a"))),
        Site((Circuit("a", "nowhere"),)),
        Site((Circuit("a"),), (Evse("E1", "x"),)),
        Site((Circuit("a"),), (Evse("E1", "a", min_a=5),)),
        Site((Circuit("a"),), (Evse("E1", "a", phases=2),)),
        Site((Circuit("a"),), (Evse("E1", "a", rotation=("L1", "L1", "L2")),)),
        Site((Circuit("a"),), (Evse("E1", "a", kind=Kind.DC, min_kw=10, max_kw=5),)),
    ],
)
def test_an_impossible_site_is_refused(site):
    with pytest.raises(InvalidSite):
        allocate(site)


# Properties over random sites ------------------------------------------------------------------------------


@st.composite
def sites(draw: st.DrawFn) -> Site:
    count = draw(st.integers(1, 8))
    circuits = []
    for n in range(count):
        parent = None if n == 0 else f"C{draw(st.integers(0, n - 1))}"
        amps = draw(st.one_of(st.none(), st.tuples(*[st.floats(0, 300, allow_nan=False)] * 3)))
        kw = draw(st.one_of(st.none(), st.floats(0, 300, allow_nan=False)))
        circuits.append(Circuit(f"C{n}", parent, limit_a=amps, limit_kw=kw))
    circuit = st.sampled_from([c.id for c in circuits])
    evses = []
    for n in range(draw(st.integers(0, 14))):
        priority = draw(st.integers(0, 2))
        flags = {
            "controllable": draw(st.booleans()) or draw(st.booleans()),
            "wants_power": draw(st.booleans()) or draw(st.booleans()),
        }
        if draw(st.integers(0, 4)) == 0:
            low = draw(st.floats(0, 20))
            evses.append(
                Evse(
                    f"E{n}",
                    draw(circuit),
                    kind=Kind.DC,
                    min_kw=low,
                    max_kw=low + draw(st.floats(0.5, 150)),
                    priority=priority,
                    under_drawing=draw(st.booleans()),
                    measured_kw=draw(st.floats(0, 150)),
                    **flags,
                )
            )
            continue
        low = draw(st.floats(6, 16))
        evses.append(
            Evse(
                f"E{n}",
                draw(circuit),
                phases=draw(st.sampled_from([1, 3])),
                rotation=draw(st.permutations(PHASES)),
                min_a=low,
                max_a=low + draw(st.floats(0, 26)),
                priority=priority,
                under_drawing=draw(st.booleans()),
                measured_a=draw(st.tuples(*[st.floats(0, 40)] * 3)),
                **flags,
            )
        )
    loads = [
        Load(f"B{n}", draw(circuit), draw(st.tuples(*[st.floats(0, 60)] * 3))) for n in range(draw(st.integers(0, 3)))
    ]
    step = draw(st.sampled_from([0.0, 0.1, 1.0]))
    return Site(tuple(circuits), tuple(evses), tuple(loads), AllocationSettings(step_a=step, step_kw=step))


def _below(site: Site, circuit_id: str, item_circuit: str) -> bool:
    parents = {c.id: c.parent for c in site.circuits}
    at: str | None = item_circuit
    while at is not None:
        if at == circuit_id:
            return True
        at = parents[at]
    return False


def _fixed_and_planned(site: Site, result: Allocation, circuit_id: str) -> tuple[list[float], list[float]]:
    """Per site phase: what the plan could not control, and what it gave the controllable EVSEs."""
    volts = site.settings.voltage_v
    fixed, planned = [0.0] * 3, [0.0] * 3
    for load in site.loads:
        if _below(site, circuit_id, load.circuit):
            fixed = [a + b for a, b in zip(fixed, load.draw_a)]
    for evse in site.evses:
        if not _below(site, circuit_id, evse.circuit):
            continue
        out = result.evse(evse.id)
        if evse.kind is Kind.DC:
            amps = (evse.max_kw if out.status is Status.UNCONTROLLED else out.limit_kw or 0.0) * 1000 / (3 * volts)
        else:
            amps = evse.max_a if out.status is Status.UNCONTROLLED else out.limit_a or 0.0
        target = fixed if out.status is Status.UNCONTROLLED else planned
        for p, phase in enumerate(PHASES):
            if phase in evse.site_phases():
                target[p] += amps
    return fixed, planned


@settings(max_examples=300, deadline=None)
@given(sites())
def test_no_circuit_phase_is_planned_over_its_limit(site):
    result = allocate(site)
    volts = site.settings.voltage_v
    for circuit in site.circuits:
        fixed, planned = _fixed_and_planned(site, result, circuit.id)
        if circuit.limit_a is not None:
            for p in range(3):
                assert planned[p] <= max(0.0, circuit.limit_a[p] - fixed[p]) + 1e-6
        if circuit.limit_kw is not None:
            assert sum(planned) * volts / 1000 <= max(0.0, circuit.limit_kw - sum(fixed) * volts / 1000) + 1e-6
        load = result.circuit(circuit.id).load_a
        assert load == pytest.approx([f + p for f, p in zip(fixed, planned)], abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(sites())
def test_no_evse_is_between_zero_and_its_minimum_nor_above_its_maximum(site):
    result = allocate(site)
    for evse in site.evses:
        out = result.evse(evse.id)
        low, high, limit = (
            (evse.min_kw, evse.max_kw, out.limit_kw) if evse.kind is Kind.DC else (evse.min_a, evse.max_a, out.limit_a)
        )
        if out.status is Status.UNCONTROLLED:
            assert limit is None
            continue
        assert limit is not None
        assert limit == 0 or low - 1e-9 <= limit <= high + 1e-9
        assert (limit > 0) == (out.status is Status.CHARGING)
        if not evse.wants_power:
            assert limit == 0


@settings(max_examples=200, deadline=None)
@given(sites(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_inputs(site, rng: random.Random):
    shuffled = Site(
        tuple(rng.sample(site.circuits, len(site.circuits))),
        tuple(rng.sample(site.evses, len(site.evses))),
        tuple(rng.sample(site.loads, len(site.loads))),
        site.settings,
    )
    assert allocate(shuffled) == allocate(site)


@settings(max_examples=200, deadline=None)
@given(sites())
def test_no_capacity_is_left_unused_while_a_charging_evse_could_take_more(site):
    """Work conservation, with exact limits: a charging EVSE below its ceiling is on a full constraint."""
    site = Site(site.circuits, site.evses, site.loads, EXACT)
    result = allocate(site)
    for evse in site.evses:
        out = result.evse(evse.id)
        if out.status is not Status.CHARGING or evse.under_drawing:
            continue
        limit = out.limit_kw if evse.kind is Kind.DC else out.limit_a
        top = evse.max_kw if evse.kind is Kind.DC else evse.max_a
        assert limit is not None
        if limit >= top - 1e-6:
            continue
        assert _on_a_full_circuit(site, result, evse), evse.id


def _on_a_full_circuit(site: Site, result: Allocation, evse: Evse) -> bool:
    for circuit in site.circuits:
        if not _below(site, circuit.id, evse.circuit):
            continue
        load = result.circuit(circuit.id)
        if circuit.limit_kw is not None and load.power_kw >= circuit.limit_kw - 1e-6:
            return True
        if circuit.limit_a is not None:
            for p, phase in enumerate(PHASES):
                if phase in evse.site_phases() and load.load_a[p] >= circuit.limit_a[p] - 1e-6:
                    return True
    return False


@settings(max_examples=200, deadline=None)
@given(sites())
def test_every_charging_evse_below_its_maximum_has_the_largest_share_on_a_full_circuit(site):
    """Max-min fairness: what stops an EVSE is a full circuit on which no EVSE of its class got more than
    it, other than those held at their own (higher) minimum; so nobody could get more without taking it
    from someone who has no more than they."""
    site = Site(site.circuits, site.evses, site.loads, EXACT)
    result = allocate(site)
    volts = site.settings.voltage_v

    def amps(evse: Evse) -> float:
        out = result.evse(evse.id)
        return (out.limit_kw or 0.0) * 1000 / (3 * volts) if evse.kind is Kind.DC else out.limit_a or 0.0

    def low(evse: Evse) -> float:
        return evse.min_kw * 1000 / (3 * volts) if evse.kind is Kind.DC else evse.min_a

    for evse in site.evses:
        out = result.evse(evse.id)
        top = evse.max_kw if evse.kind is Kind.DC else evse.max_a
        if out.status is not Status.CHARGING or evse.under_drawing or (out.limit_kw or out.limit_a or 0) >= top - 1e-6:
            continue
        rivals = [
            other
            for other in site.evses
            if other.priority == evse.priority
            and result.evse(other.id).status is Status.CHARGING
            and amps(other) > low(other) + 1e-6
        ]
        assert any(
            all(
                amps(other) <= amps(evse) + 1e-6
                for other in rivals
                if _below(site, circuit.id, other.circuit) and _shares_a_full_limit(circuit, result, evse, other)
            )
            for circuit in site.circuits
            if _below(site, circuit.id, evse.circuit) and _shares_a_full_limit(circuit, result, evse, evse)
        ), evse.id


def _shares_a_full_limit(circuit: Circuit, result: Allocation, evse: Evse, other: Evse) -> bool:
    """Whether `other` draws on a limit of `circuit` that is full and that `evse` draws on too."""
    load = result.circuit(circuit.id)
    if circuit.limit_kw is not None and load.power_kw >= circuit.limit_kw - 1e-6:
        return True
    if circuit.limit_a is None:
        return False
    return any(
        phase in evse.site_phases() and phase in other.site_phases() and load.load_a[p] >= circuit.limit_a[p] - 1e-6
        for p, phase in enumerate(PHASES)
    )
