"""SoC on demand: make a station report the EV's state of charge in its meter values.

Smart charging and the drivers' app want the battery level, but many
stations leave SoC out of their sampled measurands by default. Where the
key is the station's to change, add SoC to it.
"""

from csms.ocpp import commands
from stations.models import ChargingStation

SOC = "SoC"
# Where each version keeps the measurands sampled during a transaction.
V16_KEY = "MeterValuesSampledData"
V201_VARIABLE = ("SampledDataCtrlr", "TxUpdatedMeasurands")


def _with_soc(measurands: str | None) -> tuple[bool, str]:
    """Whether SoC is already listed, and the list with SoC added."""
    items = [m.strip() for m in (measurands or "").split(",") if m.strip()]
    return SOC in items, ",".join([*items, SOC] if SOC not in items else items)


@commands.command
async def ensure_soc_sampling(station: ChargingStation) -> bool:
    """Enable SoC sampling unless the station already samples it; True if it now does.

    Raises the command API's errors (not connected, rejected, ...) when it cannot tell.
    """
    if station.ocpp_version == "2.0.1":
        answer = await commands.get_variables(station, variables=[V201_VARIABLE])
        [result] = answer.data.get("get_variable_result", [{}])
        sampled, wanted = _with_soc(result.get("attribute_value"))
        if not sampled:
            await commands.set_variables(station, values=[(*V201_VARIABLE, wanted)])
        return True
    answer = await commands.get_configuration(station, keys=[V16_KEY])
    value = next((k.get("value") for k in answer.data.get("configuration_key", []) if k["key"] == V16_KEY), None)
    sampled, wanted = _with_soc(value)
    if not sampled:
        await commands.change_configuration(station, key=V16_KEY, value=wanted)
    return True
