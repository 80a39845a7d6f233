"""Fixtures for the drivers' station API: signed-in clients and located stations."""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from stations.models import ChargingStation, Connector, Evse, Location, RegistrationStatus


def access_token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client


@pytest.fixture
def driver(db):
    return get_user_model().objects.create_user(
        username="driver@example.com", email="driver@example.com", password="x-long-password"
    )


@pytest.fixture
def api(driver) -> APIClient:
    return client_for(driver)


@dataclass(frozen=True)
class Plug:
    standard: str = "IEC_62196_T2"
    max_power_w: int = 22_000
    status: str = "Available"


def create_site(
    charge_point_id: str,
    latitude: float,
    longitude: float,
    *plugs: Plug,
    online: bool = True,
    station_status: str = "",
    registration_status: str = RegistrationStatus.ACCEPTED,
    **location_fields,
) -> ChargingStation:
    """A station at its own location, one EVSE per plug (numbered from 1)."""
    location = Location.objects.create(
        name=location_fields.pop("name", f"Site {charge_point_id}"),
        latitude=latitude,
        longitude=longitude,
        **location_fields,
    )
    station = ChargingStation.objects.create(
        charge_point_id=charge_point_id,
        location=location,
        registration_status=registration_status,
        connection_channel="specific.test!channel" if online else "",
        status=station_status,
    )
    for number, plug in enumerate(plugs or [Plug()], start=1):
        evse = Evse.objects.create(station=station, number=number)
        Connector.objects.create(evse=evse, standard=plug.standard, max_power_w=plug.max_power_w, status=plug.status)
    return station


@pytest.fixture
def site(db):
    return create_site
