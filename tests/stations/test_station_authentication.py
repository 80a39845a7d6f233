"""authenticate_station costs one password hash whatever the outcome, so a refusal's timing
does not tell a guesser whether a station id exists (issue 9, item 3)."""

import pytest

from stations.hashers import StationPasswordHasher
from stations.models import ChargingStation, NetworkSettings
from stations.services.connections import StationRefused, authenticate_station, provision_station

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-station-password"


@pytest.fixture
def hashes(monkeypatch):
    """Counts the station-password hashes computed (PBKDF2 runs), after one warm-up."""
    counted = []
    original = StationPasswordHasher.encode

    def encode(self, *args, **kwargs):
        counted.append(1)
        return original(self, *args, **kwargs)

    provision_station(charge_point_id="CP-WARM-UP", password=PASSWORD)
    with pytest.raises(StationRefused):  # builds the dummy hash once per process
        authenticate_station(charge_point_id="CP-NEVER-SEEN", password=PASSWORD)
    monkeypatch.setattr(StationPasswordHasher, "encode", encode)
    return counted


def outcome(charge_point_id: str, password: str) -> str:
    try:
        authenticate_station(charge_point_id=charge_point_id, password=password)
    except StationRefused as refused:
        return refused.reason
    return "accepted"


def test_known_unknown_and_passwordless_ids_cost_one_hash_each(hashes):
    provision_station(charge_point_id="CP-KNOWN", password=PASSWORD)
    ChargingStation.objects.create(charge_point_id="CP-NO-PASSWORD")
    cases = {
        ("CP-KNOWN", PASSWORD): "accepted",
        ("CP-KNOWN", "a-guessed-password"): StationRefused.Reason.WRONG_PASSWORD,
        ("CP-UNKNOWN", "a-guessed-password"): StationRefused.Reason.UNKNOWN_STATION,
        ("CP-NO-PASSWORD", "a-guessed-password"): StationRefused.Reason.NO_PASSWORD_SET,
    }
    for (charge_point_id, password), expected in cases.items():
        before = len(hashes)
        assert outcome(charge_point_id, password) == expected
        assert len(hashes) - before == 1, charge_point_id


def test_auto_registration_costs_the_same_one_hash(hashes):
    NetworkSettings.objects.update_or_create(pk=1, defaults={"auto_register_stations": True})
    assert outcome("CP-FIRST-USE", PASSWORD) == "accepted"
    assert len(hashes) == 1
    assert ChargingStation.objects.get(charge_point_id="CP-FIRST-USE").registration_status == "Pending"
