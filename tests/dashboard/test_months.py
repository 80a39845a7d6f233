"""Month rollups: a period's whole months read from StationMonth give the same figures as its days, and a
refreshed day updates its month."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse

from dashboard.models import StationDay, StationMonth
from dashboard.selectors.analytics import Period, utilisation
from dashboard.selectors.months import next_month, split
from dashboard.services import refresh_rollups
from tests.dashboard.figures import cdr, session, staff, station
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

DATA = reverse("dashboard:analytics-data")
# Mid-January to mid-March: the partial days of January and March and the whole of February.
FIRST, LAST = date(2026, 1, 17), date(2026, 3, 11)


@pytest.fixture
def quarter(settings):
    """Four stations with 90 sessions at seeded random times from January to March 2026 (Berlin time),
    some over midnight, each with a sealed CDR in EUR or CHF; every day and month rolled up."""
    settings.TIME_ZONE = "Europe/Berlin"
    chance = random.Random(11)
    stations = [station(f"CP-Q{n}", evses=1 + n % 2) for n in range(4)]
    for _ in range(90):
        made = chance.choice(stations)
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=chance.randrange(89 * 24 * 60))
        stop = start + timedelta(minutes=chance.randrange(20, 600))
        tx = session(made, start=start, stop=stop, wh=chance.randrange(1_000, 60_000))
        cdr(tx, amount=f"{chance.randrange(100, 5_000) / 100:.4f}", currency=chance.choice(("EUR", "EUR", "CHF")))
    refresh_rollups(first=date(2025, 12, 31), last=date(2026, 4, 1), now=datetime(2026, 4, 2, tzinfo=UTC))
    return stations


def day_sums(first: date, last: date, station_id: int | None = None) -> list[tuple[int, int, int, int]]:
    """The day path: (station, occupied, sessions, energy) summed over StationDay alone, most occupied first."""
    rows = StationDay.objects.filter(day__gte=first, day__lte=last)
    if station_id is not None:
        rows = rows.filter(station_id=station_id)
    sums = rows.values("station_id").annotate(o=Sum("occupied_seconds"), s=Sum("sessions"), e=Sum("energy_wh"))
    return sorted(((r["station_id"], r["o"], r["s"], r["e"]) for r in sums), key=lambda r: (-r[1], r[0]))


def test_utilisation_from_months_and_partial_days_equals_the_sum_of_the_days(quarter):
    assert StationMonth.objects.filter(month=date(2026, 2, 1)).count() == 4  # February is read as months

    got = utilisation(Period(FIRST, LAST))

    assert [(u.station_id, u.occupied_seconds, u.sessions, u.energy_wh) for u in got] == day_sums(FIRST, LAST)
    assert sum(u.sessions for u in got) > 40


def test_one_stations_utilisation_and_revenue_per_month_in_the_json_equal_its_days(client, quarter):
    define_roles()
    client.force_login(staff("finance", group="finance"))
    busiest = day_sums(FIRST, LAST)[0][0]

    data = client.get(DATA, {"from": FIRST.isoformat(), "to": LAST.isoformat(), "station": busiest}).json()

    ((_, occupied, sessions, energy),) = day_sums(FIRST, LAST, busiest)
    (row,) = data["utilisation"]
    assert (row["station_id"], row["occupied_hours"], row["sessions"], row["kwh"]) == (
        busiest,
        round(occupied / 3600, 1),
        sessions,
        round(energy / 1000, 1),
    )
    expected: dict[str, dict[str, Decimal]] = {}
    for day in StationDay.objects.filter(station_id=busiest, day__gte=FIRST, day__lte=LAST):
        for currency, amount in day.revenue.items():
            months = expected.setdefault(
                currency, {"2026-01": Decimal(0), "2026-02": Decimal(0), "2026-03": Decimal(0)}
            )
            months[day.day.strftime("%Y-%m")] += Decimal(amount)
    assert {c: {m["month"]: m["amount"] for m in rows} for c, rows in data["revenue"].items()} == {
        c: {month: float(amount) for month, amount in months.items()} for c, months in expected.items()
    }
    assert expected["EUR"]["2026-02"] > 0


def test_every_month_row_is_the_sum_of_its_days(quarter):
    for row in StationMonth.objects.all():
        days = list(
            StationDay.objects.filter(station_id=row.station_id, day__gte=row.month, day__lt=next_month(row.month))
        )
        revenue: dict[str, Decimal] = {}
        for d in days:
            for currency, amount in d.revenue.items():
                revenue[currency] = revenue.get(currency, Decimal(0)) + Decimal(amount)
        assert (row.sessions, row.energy_wh, row.occupied_seconds) == (
            sum(d.sessions for d in days),
            sum(d.energy_wh for d in days),
            sum(d.occupied_seconds for d in days),
        )
        assert {c: Decimal(a) for c, a in row.revenue.items()} == revenue
    assert sorted({row.month for row in StationMonth.objects.all()}) == [date(2026, m, 1) for m in (1, 2, 3)]


def test_refreshing_a_day_updates_its_month_and_drops_a_month_left_without_days(settings):
    settings.TIME_ZONE = "UTC"
    kept, dropped = station("CP-KEPT"), station("CP-GONE")
    session(kept, start=datetime(2026, 2, 10, 8, tzinfo=UTC), stop=datetime(2026, 2, 10, 9, tzinfo=UTC), wh=4_000)
    gone = session(dropped, start=datetime(2026, 2, 20, 8, tzinfo=UTC), stop=datetime(2026, 2, 20, 9, tzinfo=UTC), wh=1)
    refresh_rollups(first=date(2026, 2, 1), last=date(2026, 2, 28), now=datetime(2026, 3, 1, tzinfo=UTC))
    session(kept, start=datetime(2026, 2, 20, 10, tzinfo=UTC), stop=datetime(2026, 2, 20, 12, tzinfo=UTC), wh=6_000)
    gone.delete()

    refresh_rollups(first=date(2026, 2, 20), last=date(2026, 2, 20), now=datetime(2026, 3, 1, tzinfo=UTC))

    (month,) = StationMonth.objects.all()
    assert (month.station_id, month.month, month.sessions, month.energy_wh, month.occupied_seconds) == (
        kept.pk,
        date(2026, 2, 1),
        2,
        10_000,
        3 * 3600,
    )


def test_the_backfill_command_fills_the_months_of_its_days():
    cp = station("CP-BACK")
    started = datetime.combine(datetime.now(UTC).date() - timedelta(days=40), datetime.min.time(), tzinfo=UTC)
    session(cp, start=started + timedelta(hours=10), stop=started + timedelta(hours=11), wh=7_000)

    call_command("dashboard_rollups", days=70)

    assert list(StationMonth.objects.values_list("energy_wh", "sessions")) == [(7_000, 1)]


@pytest.mark.parametrize(
    ("first", "last", "days", "months"),
    [
        # Mid-month to mid-month: the days either side, the months between.
        ((2026, 1, 17), (2026, 3, 11), [((2026, 1, 17), (2026, 1, 31)), ((2026, 3, 1), (2026, 3, 11))], [(2026, 2)]),
        # Whole months: no days at all.
        ((2026, 1, 1), (2026, 2, 28), [], [(2026, 1), (2026, 2)]),
        # Inside one month: days only.
        ((2026, 2, 3), (2026, 2, 27), [((2026, 2, 3), (2026, 2, 27))], []),
        # Over a new year, a whole December.
        ((2025, 11, 30), (2026, 1, 1), [((2025, 11, 30), (2025, 11, 30)), ((2026, 1, 1), (2026, 1, 1))], [(2025, 12)]),
    ],
)
def test_a_period_splits_into_whole_months_and_the_days_either_side(first, last, days, months):
    parts = split(date(*first), date(*last))
    cp = station("CP-SPLIT")
    every_day = [
        date(*first) - timedelta(days=1) + timedelta(days=n) for n in range((date(*last) - date(*first)).days + 3)
    ]
    StationDay.objects.bulk_create(StationDay(station=cp, day=day) for day in every_day)
    StationMonth.objects.bulk_create(
        StationMonth(station=cp, month=date(y, m, 1)) for y in (2025, 2026) for m in range(1, 13)
    )

    read_days = sorted(StationDay.objects.filter(parts.days()).values_list("day", flat=True))
    read_months = sorted(StationMonth.objects.filter(parts.months()).values_list("month", flat=True))

    expected_days = [d for a, b in days for d in every_day if date(*a) <= d <= date(*b)]
    assert read_days == expected_days
    assert read_months == [date(y, m, 1) for y, m in months]
