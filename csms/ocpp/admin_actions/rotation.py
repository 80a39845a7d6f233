"""Rotate stations' HTTP Basic passwords (OCPP security profile 1/2) from the admin.

For each station: make up a strong random password, send it (1.6: ChangeConfiguration
AuthorizationKey, hex-encoded as the security whitepaper has it; 2.0.1: SetVariables
SecurityCtrlr.BasicAuthPassword), and once the station accepts, the command API keeps it
hashed and the old one stops working (see csms.ocpp.commands). The operator sees the new
password this once, to note down for the station's records; a refusal is reported and
the old password stays in force.
"""

import secrets
import string

from csms.ocpp import commands
from csms.ocpp.admin_actions import send
from csms.ocpp.commands import Answer, CommandRejected
from stations.models import ChargingStation
from stations.services import AUTHORIZATION_KEY, BASIC_AUTH_PASSWORD

# 20 characters: the most a 1.6 AuthorizationKey holds (20 bytes), ~119 bits; valid in 2.0.1's passwordString too.
ALPHABET = string.ascii_letters + string.digits
LENGTH = 20
LABEL = "Password rotation"


def new_station_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def rotate_passwords(modeladmin, request, stations) -> None:
    """One message per station: the new password when it was accepted, else why not."""
    for station in stations:
        password = new_station_password()
        send(
            modeladmin,
            request,
            station,
            LABEL,
            lambda: send_password(station, password),
            lambda rotated, answer: (
                f"{rotated}: new password accepted and kept: {password} — shown only this once; "
                "the station uses it from its next connection, the old one no longer works."
            ),
        )


def send_password(station: ChargingStation, password: str) -> Answer:
    """Send the password in the station's OCPP version; CommandRejected unless it was taken."""
    if station.ocpp_version != "2.0.1":
        return commands.change_configuration.sync(station, key=AUTHORIZATION_KEY, value=password.encode().hex())
    answer = commands.set_variables.sync(station, values=[(*BASIC_AUTH_PASSWORD, password)])
    [result] = answer.data.get("set_variable_result", [{}])
    status = result.get("attribute_status") or "no status"
    if status not in commands.AGREED:
        raise CommandRejected(station.charge_point_id, answer.action, status, answer.data)
    return answer
