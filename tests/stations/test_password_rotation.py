"""A station's new HTTP Basic password, set through OCPP and accepted by the station, is the one
that lets it in from then on (issue 9, item 28); the admin rotates it in one action."""

import re

import pytest
from asgiref.sync import sync_to_async
from websockets.exceptions import InvalidStatus

from csms.ocpp.commands import CommandInvalid, VariableValue
from simulator import ChargerOptions, ChargerOptions201, SimulatedCharger, SimulatedCharger201
from stations import configuration
from stations.models import ChargingStation, ConfigurationKey
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD, open_socket
from tests.stations.test_admin_commands import STATIONS, act, operator, told  # noqa: F401  (operator: a fixture)

pytestmark = pytest.mark.e2e

SHOWN = re.compile(
    r"^(?P<station>\S+): new password accepted and kept: (?P<password>[A-Za-z0-9]{20}) — shown only this once"
)


@pytest.fixture
async def connected(server, make_station):
    """A simulated charger of either version, booted on the server; closed at the end."""
    chargers = []

    async def connect(charge_point_id: str, version: str, **answers):
        station = await make_station(charge_point_id, evse_count=1)
        kind, options = (
            (SimulatedCharger201, ChargerOptions201) if version == "2.0.1" else (SimulatedCharger, ChargerOptions)
        )
        charger = kind(
            charge_point_id,
            server.ocpp_url,
            options(password=STATION_PASSWORD, meter_interval=0, reconnect_delay=0.1, answers=answers),
        )
        chargers.append(charger)
        await charger.connect()
        await charger.boot()
        await eventually(lambda: on_socket(station.pk, version))
        return station, charger

    yield connect
    for charger in chargers:
        await charger.close()


def on_socket(station_pk: int, version: str) -> bool:
    """the server holds the station's socket, in this OCPP version"""
    return ChargingStation.objects.filter(pk=station_pk, ocpp_version=version).exclude(connection_channel="").exists()


async def refused(server, charge_point_id: str, password: str, version: str) -> int:
    """The HTTP status of a handshake with this password (it must not open)."""
    with pytest.raises(InvalidStatus) as handshake:
        async with open_socket(server, charge_point_id, password, subprotocols=(f"ocpp{version}",)):
            pass
    return handshake.value.response.status_code


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_admin_rotates_the_password_and_the_station_reconnects_with_the_new_one_only(
    operator, server, connected, version
):
    charge_point_id = f"CP-ROT-{version}"
    station, charger = await connected(charge_point_id, version)
    response = await act(operator, STATIONS, "rotate_password", station)
    [(level, text)] = told(response)
    shown = SHOWN.match(text)
    assert level == "success" and shown and shown["station"] == charge_point_id, text
    password = shown["password"]
    if version == "1.6":
        [change] = charger.exchanges("ChangeConfiguration", incoming=True)
        assert change.request.payload == {"key": "AuthorizationKey", "value": password.encode().hex()}
    else:
        [change] = charger.exchanges("SetVariables", incoming=True)
        [variable] = change.request.payload["setVariableData"]
        assert (variable["component"]["name"], variable["variable"]["name"]) == ("SecurityCtrlr", "BasicAuthPassword")
        assert variable["attributeValue"] == password

    kept = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert kept.check_password(password) and not kept.check_password(STATION_PASSWORD)
    assert password not in kept.password_hash
    assert not await sync_to_async(ConfigurationKey.objects.filter(station=station, key="AuthorizationKey").exists)()

    await charger.reconnect()  # the station presents what it was given
    assert charger.registration == "Accepted"
    await eventually(lambda: on_socket(station.pk, version))
    assert await refused(server, charge_point_id, STATION_PASSWORD, version) in (401, 403)


async def test_a_refused_rotation_is_reported_and_the_old_password_stays(operator, server, connected):
    station, charger = await connected("CP-ROT-NO", "1.6", ChangeConfiguration="reject")
    response = await act(operator, STATIONS, "rotate_password", station)
    assert told(response) == [("warning", "CP-ROT-NO: Password rotation rejected with status Rejected.")]
    kept = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert kept.check_password(STATION_PASSWORD)
    await charger.reconnect()
    assert charger.registration == "Accepted"


async def test_an_authorization_key_the_operator_sets_is_the_password_from_then_on(operator, server, connected):
    """The operator enters the key as the whitepaper has it (hex); the station presents what it encodes."""
    station, charger = await connected("CP-ROT-KEY", "1.6")
    new_password = "operator-chosen-pw-1"
    response = await act(
        operator, STATIONS, "change_configuration", station, key="AuthorizationKey", value=new_password.encode().hex()
    )
    assert [level for level, _ in told(response)] == ["success"]
    kept = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert kept.check_password(new_password) and not kept.check_password(STATION_PASSWORD)
    await charger.reconnect()
    assert charger.registration == "Accepted" and charger.password == new_password


@pytest.mark.parametrize(
    "key, value",
    [
        ("AuthorizationKey", "not-hex"),
        ("AuthorizationKey", "ab" * 8 + "a"),  # odd digits
        ("AuthorizationKey", "41" * 15),  # 15 bytes: too short
        ("AuthorizationKey", "ff" * 16),  # bytes that are no UTF-8 password
    ],
)
async def test_a_key_no_station_could_present_is_refused_before_it_is_sent(server, connected, key, value):
    station, charger = await connected("CP-ROT-BAD", "1.6")
    with pytest.raises(CommandInvalid):
        await configuration.change_configuration(station_id=station.pk, key=key, value=value)
    assert not charger.exchanges("ChangeConfiguration", incoming=True)
    kept = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert kept.check_password(STATION_PASSWORD)


async def test_a_201_password_outside_the_password_string_rules_is_refused_before_it_is_sent(server, connected):
    station, charger = await connected("CP-ROT-BAD2", "2.0.1")
    with pytest.raises(CommandInvalid):
        await configuration.set_variables(
            station_id=station.pk, values=[VariableValue("SecurityCtrlr", "BasicAuthPassword", "short")]
        )
    assert not charger.exchanges("SetVariables", incoming=True)
