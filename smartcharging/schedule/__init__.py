"""The schedule planner: a site's next hours in fixed slots, for cars whose departure and need are known.

Pure Python (numpy, scipy), no Django and no I/O, so it can run inside a Celery task, a benchmark or a
test alike. The plan is a mixed-integer linear programme solved with HiGHS (`scipy.optimize.milp`):

* variables: p[c, t] ≥ 0, the kW car c draws in slot t, created only for the slots the car is there
  (so it cannot charge outside its availability); where a car has a minimum power, a binary z[c, t]
  with min·z ≤ p ≤ max·z (0, or at least its minimum); one variable P for the site's peak;
* constraints: Σ_c p[c, t] ≤ limit[t] and base[t] + Σ_c p[c, t] ≤ P in every slot; Σ_t p[c, t]·Δt ≤
  need_c per car.

The objective is lexicographic and solved as **successive solves**, not as one weighted sum: (1)
maximise the priority-weighted delivered energy, (2) with that optimum fixed (less a tolerance of
`TOLERANCE`) minimise the peak, (3) with the peak fixed minimise the energy cost. A single
weighted objective would need weights far enough apart to keep the order (kWh against kW against
currency, whose ranges differ per site and day), which either breaks the order on some input or makes
the problem badly conditioned for the solver; three small solves keep each stage exact.

The wall-clock limit covers all stages. When the MILP's energy stage does not finish with an optimum
(late, failed), the LP relaxation plans (path "lp", see `plan`), and when that fails too,
`earliest_departure_first`, the fallback rule (path "fallback"); when a later stage is late, the plan
of the stage before stands (it already gives every car its energy). `Plan.path` and `Plan.reason` say
which of these produced the plan. On large sites the MILP is often late (HiGHS takes ~10 s for 30 cars over a day on this project's CI machine); `relax=True` (path "lp")
solves the LP relaxation and rounds it with a much smaller MILP instead, in a fraction of a second,
and on the benchmark's day to the same peak and cost.

A lone car on a site with no `base_kw` is spread flat over its stay: the peak comes before the cost.
"""

from smartcharging.schedule.fallback import earliest_departure_first
from smartcharging.schedule.model import Car, CarPlan, Horizon, Plan, Site
from smartcharging.schedule.planner import plan

__all__ = ["Car", "CarPlan", "Horizon", "Plan", "Site", "earliest_departure_first", "plan"]
