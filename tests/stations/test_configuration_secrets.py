"""A station's password never lands readable in its kept configuration, even from a station that reports it."""

import pytest

from csms.ocpp.commands import ConfigurationRead, ConfigurationValue
from stations.configuration import DeviceModelAttribute, record_configuration, record_device_model
from stations.models import ConfigurationKey, DeviceModelVariable
from tests.stations.conftest import create_site

pytestmark = pytest.mark.django_db


def test_a_reported_authorization_key_is_kept_without_its_value():
    station = create_site("CP-SECRET", 52.5, 13.4)
    read = ConfigurationRead(
        keys=(
            ConfigurationValue(
                key="AuthorizationKey", value="3132333435363738393031323334353637383930", readonly=False
            ),
            ConfigurationValue(key="HeartbeatInterval", value="300", readonly=False),
        ),
        unknown=(),
    )

    record_configuration(station_id=station.pk, read=read)

    kept = dict(ConfigurationKey.objects.filter(station=station).values_list("key", "value"))
    assert kept == {"AuthorizationKey": None, "HeartbeatInterval": "300"}


def test_a_reported_basic_auth_password_is_kept_without_its_value():
    station = create_site("CP-SECRET-201", 52.5, 13.4)
    attributes = [
        DeviceModelAttribute(component="SecurityCtrlr", variable="BasicAuthPassword", value="s3cret-s3cret-s3cret"),
        DeviceModelAttribute(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="300"),
    ]

    record_device_model(station_id=station.pk, attributes=attributes)

    kept = dict(DeviceModelVariable.objects.filter(station=station).values_list("variable", "value"))
    assert kept == {"BasicAuthPassword": None, "HeartbeatInterval": "300"}
