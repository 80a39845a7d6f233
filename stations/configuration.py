"""A station's configuration, read and changed through the command port, and kept.

OCPP 1.6 stations keep configuration keys (GetConfiguration/ChangeConfiguration),
2.0.1 stations a device model (GetVariables/SetVariables, GetBaseReport whose
NotifyReport answers the handlers keep). What a station answers is recorded
here, by the service that asked: the port only carries commands. A setting
that is the station's HTTP Basic password (1.6 AuthorizationKey, 2.0.1
SecurityCtrlr.BasicAuthPassword) is kept hashed, never as configuration,
and refused before it is sent when no station could present it (the rules:
stations/passwords.py); `send_password` sends a new one in the station's version.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import (
    Answer,
    CommandError,
    CommandInvalid,
    CommandRejected,
    ConfigurationRead,
    Variable,
    VariableValue,
)
from stations.models import ConfigurationKey, DeviceModelVariable
from stations.passwords import (
    AUTHORIZATION_KEY,
    BASIC_AUTH_PASSWORD,
    InvalidStationPassword,
    password_set_by_configuration,
    password_set_by_variable,
    record_station_password,
)
from stations.selectors.connections import command_route, samples_soc

logger = logging.getLogger(__name__)

# The part of a 2.0.1 device model that is its configuration (B07: what GetConfiguration is to 1.6).
CONFIGURATION_INVENTORY = "ConfigurationInventory"


@commands.command
async def get_configuration(*, station_id: int, keys: tuple[str, ...] = ()) -> Answer:
    """OCPP 1.6: read configuration keys (all when none are named), and keep them."""
    answer = await commands.send(station_id, commands.GetConfiguration(keys=tuple(keys)))
    await db_async(record_configuration)(station_id=station_id, read=answer.result)
    return answer


@commands.command
async def change_configuration(*, station_id: int, key: str, value: str) -> Answer:
    """OCPP 1.6: set one configuration key; the kept value follows when the station agrees.
    A new AuthorizationKey is the station's password from then on."""
    password = await _new_password(station_id, password_set_by_configuration, key=key, value=value)
    answer = await commands.send(station_id, commands.ChangeConfiguration(key=key, value=value))
    if password is not None:
        await db_async(record_station_password)(station_id=station_id, password=password)
    else:
        await db_async(record_configuration_change)(station_id=station_id, key=key, value=value)
    return answer


@commands.command
async def get_variables(*, station_id: int, variables: list[Variable]) -> Answer:
    """OCPP 2.0.1: read variables of the device model, and keep the values read."""
    answer = await commands.send(station_id, commands.GetVariables(variables=tuple(variables)))
    read = [
        DeviceModelAttribute(component=r.component, variable=r.variable, value=r.value)
        for r in answer.result
        if r.status == "Accepted"
    ]
    await db_async(record_device_model)(station_id=station_id, attributes=read)
    return answer


@commands.command
async def set_variables(*, station_id: int, values: list[VariableValue]) -> Answer:
    """OCPP 2.0.1: set variables; the kept device model follows what the station accepted.
    An accepted SecurityCtrlr.BasicAuthPassword is the station's password from then on."""
    passwords = [
        await _new_password(
            station_id, password_set_by_variable, component=v.component, variable=v.variable, value=v.value
        )
        for v in values
    ]
    answer = await commands.send(station_id, commands.SetVariables(values=tuple(values)))
    agreed = [result.agreed for result in answer.result]
    accepted = [
        DeviceModelAttribute(component=v.component, variable=v.variable, value=v.value)
        for v, ok, password in zip(values, agreed, passwords)
        if ok and password is None
    ]
    await db_async(record_device_model)(station_id=station_id, attributes=accepted)
    for password in (password for password, ok in zip(passwords, agreed) if ok and password is not None):
        await db_async(record_station_password)(station_id=station_id, password=password)
    return answer


async def _new_password(station_id: int, password_set_by, **setting) -> str | None:
    """The password this setting gives the station; CommandInvalid, before anything is sent, for one
    the station could never present."""
    try:
        return password_set_by(**setting)
    except InvalidStationPassword as error:
        route = await db_async(command_route)(station_id=station_id)
        raise CommandInvalid(f"{route.charge_point_id if route else station_id}: {error}") from None


@commands.command
async def send_password(*, station_id: int, password: str) -> Answer:
    """Send a new Basic password in the station's OCPP version; CommandRejected unless it was taken."""
    route = await db_async(command_route)(station_id=station_id)
    if route is None or route.ocpp_version != "2.0.1":
        return await change_configuration(station_id=station_id, key=AUTHORIZATION_KEY, value=password.encode().hex())
    answer = await set_variables(station_id=station_id, values=[VariableValue(*BASIC_AUTH_PASSWORD, password)])
    [result] = answer.result or [None]
    status = (result.status if result else "") or "no status"
    if status not in commands.AGREED:
        raise CommandRejected(route.charge_point_id, answer.action, status, answer.data)
    return answer


@commands.command
async def read_configuration(*, station_id: int, ocpp_version: str) -> Answer:
    """Refresh what we keep of the station's configuration: every 1.6 key, or the 2.0.1
    configuration inventory (its NotifyReport messages are kept as they arrive)."""
    if ocpp_version == "2.0.1":
        return await commands.send(station_id, commands.GetBaseReport(report=CONFIGURATION_INVENTORY))
    return await get_configuration(station_id=station_id)


# --- what the station reported, kept ------------------------------------------------------


def record_configuration(*, station_id: int, read: ConfigurationRead) -> None:
    """Keep the configuration a station reported; keys it says it does not know are dropped.

    The station's password is never kept readable, even from a station that reports it (the security
    whitepaper makes AuthorizationKey write-only): it is kept hashed, as the station's password.
    """
    with transaction.atomic():
        for entry in read.keys:
            value = None if entry.key == AUTHORIZATION_KEY else entry.value
            ConfigurationKey.objects.update_or_create(
                station_id=station_id, key=entry.key, defaults={"value": value, "readonly": entry.readonly}
            )
        ConfigurationKey.objects.filter(station_id=station_id, key__in=read.unknown).delete()


def record_configuration_change(*, station_id: int, key: str, value: str) -> None:
    ConfigurationKey.objects.update_or_create(station_id=station_id, key=key, defaults={"value": value})


@dataclass(frozen=True)
class DeviceModelAttribute:
    component: str
    variable: str
    value: str | None
    attribute_type: str = "Actual"
    component_instance: str = ""
    evse_number: int = 0
    connector_number: int = 0
    variable_instance: str = ""
    mutability: str = ""
    data_type: str = ""
    unit: str = ""


def record_device_model(*, station_id: int, attributes: list[DeviceModelAttribute]) -> None:
    """Keep a 2.0.1 station's reported device model, one row per variable attribute (never its password)."""
    with transaction.atomic():
        for attribute in attributes:
            key = {
                "station_id": station_id,
                "component": attribute.component,
                "component_instance": attribute.component_instance,
                "evse_number": attribute.evse_number,
                "connector_number": attribute.connector_number,
                "variable": attribute.variable,
                "variable_instance": attribute.variable_instance,
                "attribute_type": attribute.attribute_type,
            }
            secret = (attribute.component, attribute.variable) == BASIC_AUTH_PASSWORD  # write-only, as above
            details = {
                "value": None if secret else attribute.value,
                "mutability": attribute.mutability,
                "data_type": attribute.data_type,
                "unit": attribute.unit,
            }
            DeviceModelVariable.objects.update_or_create(**key, defaults=details)


# --- SoC on demand ------------------------------------------------------------------------
# Smart charging and the drivers' app want the battery level, but many stations leave SoC
# out of their sampled measurands by default. Where the operator asks for it (the station's
# switch, else the network's), it is added to the measurands the station samples.

SOC = "SoC"
# Where each version keeps the measurands sampled during a transaction.
V16_MEASURANDS_KEY = "MeterValuesSampledData"
V201_MEASURANDS = Variable(component="SampledDataCtrlr", variable="TxUpdatedMeasurands")


def _with_soc(measurands: str | None) -> tuple[bool, str]:
    """Whether SoC is already listed, and the list with SoC added."""
    items = [m.strip() for m in (measurands or "").split(",") if m.strip()]
    return SOC in items, ",".join([*items, SOC] if SOC not in items else items)


@commands.command
async def ensure_soc_sampling(*, station_id: int, ocpp_version: str) -> bool:
    """Enable SoC sampling unless the station already samples it; True once it does.

    Raises the command port's errors (not connected, rejected, ...) when it cannot tell.
    """
    if ocpp_version == "2.0.1":
        answer = await get_variables(station_id=station_id, variables=[V201_MEASURANDS])
        [result] = answer.result or [None]
        sampled, wanted = _with_soc(result.value if result else None)
        if not sampled:
            await set_variables(
                station_id=station_id,
                values=[VariableValue(V201_MEASURANDS.component, V201_MEASURANDS.variable, wanted)],
            )
        return True
    answer = await get_configuration(station_id=station_id, keys=(V16_MEASURANDS_KEY,))
    value = next((k.value for k in answer.result.keys if k.key == V16_MEASURANDS_KEY), None)
    sampled, wanted = _with_soc(value)
    if not sampled:
        await change_configuration(station_id=station_id, key=V16_MEASURANDS_KEY, value=wanted)
    return True


# --- after a station boots ------------------------------------------------------------------


async def follow_up_boot(*, station_id: int, ocpp_version: str) -> None:
    """What we ask a station once its boot was answered Accepted: its configuration, to keep,
    and SoC sampling where the operator asked for it. Each step that fails is logged; the
    other still happens."""
    try:
        await read_configuration(station_id=station_id, ocpp_version=ocpp_version)
    except CommandError as error:
        logger.warning("station %s: configuration not read after boot: %s", station_id, error)
    if not await db_async(samples_soc)(station_id=station_id):
        return
    try:
        await ensure_soc_sampling(station_id=station_id, ocpp_version=ocpp_version)
    except CommandError as error:
        logger.warning("station %s: SoC sampling not ensured after boot: %s", station_id, error)
