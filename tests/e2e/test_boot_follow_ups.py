"""Issue 10 item 4: the `ocpp` library's @after hooks run once the answer is sent. After an
Accepted boot the central system reads the station's configuration and, where the operator
asked for it (the station's switch, else the network's), makes sure SoC is sampled.

A raw charger sees the real frames in order: the BootNotification answer first, the follow-ups after.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from stations.models import ChargingStation, ConfigurationKey, NetworkSettings
from tests.conftest import eventually
from tests.ocpp_client import answer, call, open_socket

pytestmark = pytest.mark.e2e

BOOT16 = {"chargePointVendor": "Voltstack", "chargePointModel": "Raw"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Voltstack", "model": "Raw"}}
V201 = ("ocpp2.0.1",)
SAMPLED = "Energy.Active.Import.Register,Power.Active.Import"
KEYS = [
    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    {"key": "MeterValuesSampledData", "readonly": False, "value": SAMPLED},
]


async def boot(ws, payload: dict) -> list:
    """Send a BootNotification; the first frame back must be its answer (nothing before it)."""
    await ws.send(json.dumps([2, "boot-1", "BootNotification", payload]))
    first = await answer(ws, follow_ups=True)
    assert first[:2] == [3, "boot-1"], first
    return first


async def follow_up(ws, action: str) -> list:
    frame = await answer(ws, follow_ups=True)
    assert frame[0] == 2 and frame[2] == action, frame
    return frame


async def no_answer_at_all(ws, within: float = 0.5) -> bool:
    """Not even a boot follow-up arrives."""
    try:
        await answer(ws, within, follow_ups=True)
    except TimeoutError:
        return True
    return False


async def test_an_accepted_16_boot_is_followed_by_a_configuration_read_kept_and_no_soc_change(server, make_station):
    station = await make_station("CP-FOLLOW-16")
    async with open_socket(server, "CP-FOLLOW-16") as ws:
        assert (await boot(ws, BOOT16))[2]["status"] == "Accepted"
        read = await follow_up(ws, "GetConfiguration")
        assert read[3] == {}  # every key
        await ws.send(json.dumps([3, read[1], {"configurationKey": KEYS}]))

        def kept():
            """the keys the charger reported are kept"""
            return dict(ConfigurationKey.objects.filter(station=station).values_list("key", "value"))

        assert await eventually(kept) == {"HeartbeatInterval": "300", "MeterValuesSampledData": SAMPLED}
        assert await no_answer_at_all(ws, within=1.5)  # SoC was not asked for


@pytest.mark.parametrize("station_switch, network_switch", [(True, False), (None, True)])
async def test_with_the_soc_switch_on_a_16_station_is_made_to_sample_soc(
    server, make_station, station_switch, network_switch
):
    await sync_to_async(NetworkSettings.objects.update_or_create)(pk=1, defaults={"sample_soc": network_switch})
    await make_station("CP-SOC-16", sample_soc=station_switch)
    async with open_socket(server, "CP-SOC-16") as ws:
        await boot(ws, BOOT16)
        read = await follow_up(ws, "GetConfiguration")
        await ws.send(json.dumps([3, read[1], {"configurationKey": KEYS}]))
        sampled = await follow_up(ws, "GetConfiguration")
        assert sampled[3] == {"key": ["MeterValuesSampledData"]}
        await ws.send(json.dumps([3, sampled[1], {"configurationKey": KEYS[1:]}]))
        change = await follow_up(ws, "ChangeConfiguration")
        assert change[3] == {"key": "MeterValuesSampledData", "value": f"{SAMPLED},SoC"}
        await ws.send(json.dumps([3, change[1], {"status": "Accepted"}]))

        def kept():
            """the new measurands are kept"""
            return ConfigurationKey.objects.filter(key="MeterValuesSampledData", value=f"{SAMPLED},SoC").exists()

        await eventually(kept)
        assert await no_answer_at_all(ws)


async def test_a_station_switched_off_keeps_its_measurands_whatever_the_network_says(server, make_station):
    await sync_to_async(NetworkSettings.objects.update_or_create)(pk=1, defaults={"sample_soc": True})
    await make_station("CP-SOC-OFF", sample_soc=False)
    async with open_socket(server, "CP-SOC-OFF") as ws:
        await boot(ws, BOOT16)
        read = await follow_up(ws, "GetConfiguration")
        await ws.send(json.dumps([3, read[1], {"configurationKey": KEYS}]))
        assert await no_answer_at_all(ws, within=1.5)


async def test_a_201_boot_is_followed_by_its_configuration_inventory_and_soc_on_request(server, make_station):
    await make_station("CP-SOC-201", sample_soc=True)
    async with open_socket(server, "CP-SOC-201", subprotocols=V201) as ws:
        assert (await boot(ws, BOOT201))[2]["status"] == "Accepted"
        report = await follow_up(ws, "GetBaseReport")
        assert report[3]["reportBase"] == "ConfigurationInventory"
        await ws.send(json.dumps([3, report[1], {"status": "Accepted"}]))
        variable = {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedMeasurands"}}
        read = await follow_up(ws, "GetVariables")
        assert read[3] == {"getVariableData": [variable]}
        result = {"attributeStatus": "Accepted", "attributeValue": "Energy.Active.Import.Register", **variable}
        await ws.send(json.dumps([3, read[1], {"getVariableResult": [result]}]))
        change = await follow_up(ws, "SetVariables")
        assert change[3] == {"setVariableData": [{**variable, "attributeValue": "Energy.Active.Import.Register,SoC"}]}
        await ws.send(json.dumps([3, change[1], {"setVariableResult": [{"attributeStatus": "Accepted", **variable}]}]))
        assert await no_answer_at_all(ws)


async def test_a_pending_boot_is_not_followed_up(server, make_station):
    await make_station("CP-FOLLOW-PENDING", registration_status="Pending")
    async with open_socket(server, "CP-FOLLOW-PENDING") as ws:
        assert (await boot(ws, BOOT16))[2]["status"] == "Pending"
        assert await no_answer_at_all(ws, within=1.5)


async def test_a_failing_follow_up_is_logged_and_the_connection_lives_on(server, make_station):
    station = await make_station("CP-FOLLOW-FAIL", sample_soc=True)
    async with open_socket(server, "CP-FOLLOW-FAIL") as ws:
        await boot(ws, BOOT16)
        read = await follow_up(ws, "GetConfiguration")
        await ws.send(json.dumps([4, read[1], "InternalError", "no configuration here", {}]))
        sampled = await follow_up(ws, "GetConfiguration")  # the SoC step still happens
        await ws.send(json.dumps([4, sampled[1], "InternalError", "still none", {}]))
        assert (await call(ws, "Heartbeat", {}))[0] == 3
    assert await sync_to_async(ChargingStation.objects.filter(pk=station.pk, last_boot_at__isnull=False).exists)()
