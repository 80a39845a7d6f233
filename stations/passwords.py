"""Rotating a station's HTTP Basic password (OCPP security profile 1/2) through the command port.

A strong random password is sent in the station's OCPP version (1.6:
ChangeConfiguration AuthorizationKey, hex-encoded as the security whitepaper
has it; 2.0.1: SetVariables SecurityCtrlr.BasicAuthPassword); once the station
accepts, it is kept hashed and the old one stops working (see
stations/configuration.py). A refusal leaves the old password in force.
"""

import secrets
import string

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer, CommandRejected, VariableValue
from stations import configuration
from stations.selectors import command_route
from stations.services import AUTHORIZATION_KEY, BASIC_AUTH_PASSWORD

# 20 characters: the most a 1.6 AuthorizationKey holds (20 bytes), ~119 bits; valid in 2.0.1's passwordString too.
ALPHABET = string.ascii_letters + string.digits
LENGTH = 20


def new_station_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


@commands.command
async def send_password(*, station_id: int, password: str) -> Answer:
    """Send the password in the station's OCPP version; CommandRejected unless it was taken."""
    route = await db_async(command_route)(station_id=station_id)
    if route is None or route.ocpp_version != "2.0.1":
        return await configuration.change_configuration(
            station_id=station_id, key=AUTHORIZATION_KEY, value=password.encode().hex()
        )
    answer = await configuration.set_variables(
        station_id=station_id, values=[VariableValue(*BASIC_AUTH_PASSWORD, password)]
    )
    [result] = answer.result or [None]
    status = (result.status if result else "") or "no status"
    if status not in commands.AGREED:
        raise CommandRejected(route.charge_point_id, answer.action, status, answer.data)
    return answer
