"""Issue 13 end to end: a balanced site's simulated chargers share its grid limit, and what they meter keeps to it.

Four single-EVSE 1.6 chargers (32 A, three phases) on a site of 64 A per phase: a real server and Celery worker
re-plan the site as sessions start and stop, and the chargers apply the profiles they receive to what they meter
(simulator/profiles.py).
"""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from simulator import ChargerOptions, SimulatedCharger
from smartcharging.models import BalancedSite, ControlledEvse
from stations.models import Location
from stations.services.connections import provision_station
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e

SITE_LIMIT_A = 64.0
MAX_A, PHASES, VOLTAGE_V = 32.0, 3, 230.0
CHARGERS = 4


@pytest.fixture
def ocpi_server_env() -> dict[str, str]:
    """The server of its own (conftest's `ocpi_server`) re-plans a second after a session starts or stops."""
    return {"SMART_CHARGING_DEBOUNCE_SECONDS": "1"}


def balanced_site(charge_point_ids: list[str]) -> None:
    """A car park on a 64 A grid connection whose stations each have one steerable 32 A three-phase EVSE."""
    location = Location.objects.create(name="Car park", latitude=Decimal("52.5"), longitude=Decimal("13.4"))
    site = BalancedSite.objects.create(location=location, limit_a=SITE_LIMIT_A)
    for charge_point_id in charge_point_ids:
        station = provision_station(charge_point_id=charge_point_id, password=STATION_PASSWORD, location=location)
        ControlledEvse.objects.create(evse=station.evses.get(), site=site, phases=PHASES, min_a=6.0, max_a=MAX_A)


def profile_limit(charger: SimulatedCharger, purpose: str) -> float | None:
    """The limit, in A, of the profile of this purpose the charger holds on connector 1 (the ocpp library reads
    JSON numbers as Decimal)."""
    for installed in charger.charging_profiles.installed.values():
        schedule = installed.profile["charging_schedule"]
        if installed.connector_id == 1 and installed.purpose == purpose and schedule["charging_rate_unit"] == "A":
            return float(schedule["charging_schedule_period"][0]["limit"])
    return None


def metered_a(charger: SimulatedCharger) -> float:
    """The current per phase of the charger's last MeterValues: its power over three phases at 230 V."""
    *_, last = charger.exchanges("MeterValues")
    [sample] = last.request.payload["meterValue"]
    [power] = [v for v in sample["sampledValue"] if v.get("measurand") == "Power.Active.Import"]
    return float(power["value"]) / (VOLTAGE_V * PHASES)


async def metered_after_now(chargers: list[SimulatedCharger]) -> float:
    """The site current summed over the chargers' next MeterValues each (sent after their profiles changed)."""
    sent = [len(c.exchanges("MeterValues")) for c in chargers]

    def all_metered_again():
        """every charger sent MeterValues again"""
        return all(len(c.exchanges("MeterValues")) > n for c, n in zip(chargers, sent, strict=True))

    await eventually(all_metered_again, timeout=10)
    return sum(metered_a(c) for c in chargers)


def options() -> ChargerOptions:
    """A 32 A three-phase wallbox metering every second, its energy ten times as fast as real time."""
    return ChargerOptions(
        password=STATION_PASSWORD, meter_interval=1, speedup=10, power_w=MAX_A * VOLTAGE_V * PHASES, phases=PHASES
    )


@pytest.mark.timeout(120)
async def test_four_chargers_share_the_site_limit_and_the_others_ramp_up_when_one_stops(
    ocpi_server, celery_worker, make_id_tag
):
    ids = [f"CP-SCE2E-{n}" for n in range(CHARGERS)]
    await sync_to_async(balanced_site)(ids)
    chargers = [SimulatedCharger(cp, ocpi_server.ocpp_url, options()) for cp in ids]
    try:
        for charger in chargers:
            await charger.connect()
            await charger.boot()

        def safe_defaults():
            """every charger holds its TxDefaultProfile: the site's share with a car on every EVSE"""
            return all(profile_limit(c, "TxDefaultProfile") == SITE_LIMIT_A / CHARGERS for c in chargers)

        await eventually(safe_defaults, timeout=15)

        for n, charger in enumerate(chargers):
            await make_id_tag(f"CARD-SC-{n}")
            await charger.start_session(1, f"CARD-SC-{n}")

        def even_split():
            """every charger holds a TxProfile of 64 / 4 A for its transaction"""
            return all(profile_limit(c, "TxProfile") == 16.0 for c in chargers)

        await eventually(even_split, timeout=15)
        for charger in chargers:
            [tx_profile] = [p for p in charger.charging_profiles.installed.values() if p.purpose == "TxProfile"]
            assert tx_profile.profile["transaction_id"] == charger.active_sessions[0].transaction_id
            assert tx_profile.profile["charging_schedule"]["charging_schedule_period"][0]["number_phases"] == PHASES
        assert await metered_after_now(chargers) <= SITE_LIMIT_A

        await chargers[0].stop_session(1)
        charging = chargers[1:]

        def ramped_up():
            """the three still charging hold 64 / 3 A, rounded down to 0.1 A"""
            return all(profile_limit(c, "TxProfile") == 21.3 for c in charging)

        await eventually(ramped_up, timeout=10)
        assert profile_limit(chargers[0], "TxProfile") is None  # it went with its transaction
        site_a = await metered_after_now(charging)
        assert 3 * 21.3 - 0.01 <= site_a <= SITE_LIMIT_A
    finally:
        for charger in chargers:
            if charger.active_sessions:
                await charger.stop_session(1)
            await charger.close()
