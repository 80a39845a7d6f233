"""A station, drivers' cards and socketless chargers for the service-level tests of sessions."""

import pytest
from django.contrib.auth import get_user_model

from sessions.models import IdTag
from stations.models import ChargingStation
from tests.sessions.chargers import Charger16, Station201
from tests.stations.conftest import Plug, create_site


@pytest.fixture
def station(db) -> ChargingStation:
    """An accepted station with two EVSEs, made without hashing a password (milliseconds, not 0.2 s)."""
    return create_site("CP-SVC", 52.5, 13.4, Plug(), Plug(), online=False)


@pytest.fixture
def card(db) -> IdTag:
    """A driver's RFID card: its sessions are the driver's sessions too."""
    driver = get_user_model().objects.create_user("dana", "dana@example.com")  # no password: nothing to hash
    return IdTag.objects.create(id_tag="CARD-A", owner=driver)


@pytest.fixture
def charger16(station) -> Charger16:
    return Charger16(station.pk)


@pytest.fixture
def station201(station) -> Station201:
    return Station201(station.pk)
