"""A station's HTTP Basic password (OCPP security profile 1/2): the setting that carries it, and keeping it.

In 1.6 it is the AuthorizationKey configuration key, hex-encoded as the
security whitepaper has it; in 2.0.1 the SecurityCtrlr.BasicAuthPassword
variable. A new one is refused before it is sent when no station could
present it; once the station accepts it, it is kept hashed and the old one
stops working. It is never kept readable as configuration (sending it:
stations/configuration.py, which asks the station).
"""

import re
import secrets
import string

from stations.models import ChargingStation

AUTHORIZATION_KEY = "AuthorizationKey"  # OCPP 1.6 (security whitepaper): the Basic password, hex-encoded
BASIC_AUTH_PASSWORD = ("SecurityCtrlr", "BasicAuthPassword")  # OCPP 2.0.1: the Basic password itself
# The whitepaper's AuthorizationKey holds 16 to 20 bytes (32 to 40 hex digits).
AUTHORIZATION_KEY_BYTES = (16, 20)
# 2.0.1 passwordString, 16 characters at least and at most 40 (the smallest maxLimit a station may have).
PASSWORD_STRING = re.compile(r"[a-zA-Z0-9*\-_=:+|@.]{16,40}")


class InvalidStationPassword(ValueError):
    """A new password no station could present to us; it must not be sent."""


def password_set_by_configuration(*, key: str, value: str) -> str | None:
    """The Basic password a 1.6 ChangeConfiguration gives the station, or None when it sets another key.

    The station presents the bytes the hex digits stand for as its password; we read HTTP Basic as
    UTF-8, so a key whose bytes are not UTF-8 would lock the station out and is refused here.
    """
    if key != AUTHORIZATION_KEY:
        return None
    try:
        raw = bytes.fromhex(value)
        password = raw.decode("utf-8")
    except ValueError:  # UnicodeDecodeError is one
        raise InvalidStationPassword("AuthorizationKey must be hex digits of a UTF-8 password") from None
    low, high = AUTHORIZATION_KEY_BYTES
    if not low <= len(raw) <= high:
        raise InvalidStationPassword(
            f"AuthorizationKey must hold {low} to {high} bytes ({2 * low} to {2 * high} hex digits)"
        )
    return password


def password_set_by_variable(*, component: str, variable: str, value: str) -> str | None:
    """The Basic password a 2.0.1 SetVariables gives the station, or None when it sets another variable.
    OCPP 2.0.1 makes it a passwordString of at least 16 characters."""
    if (component, variable) != BASIC_AUTH_PASSWORD:
        return None
    if not PASSWORD_STRING.fullmatch(value):
        raise InvalidStationPassword("BasicAuthPassword must be 16 to 40 of a-z A-Z 0-9 * - _ = : + | @ .")
    return value


def record_station_password(*, station_id: int, password: str) -> None:
    """The station took a new Basic password: keep only its hash, so the old one stops working
    and its next connection is let in with the new one."""
    station = ChargingStation.objects.get(pk=station_id)
    station.set_password(password)
    station.save(update_fields=["password_hash"])


# 20 characters: the most a 1.6 AuthorizationKey holds (20 bytes), ~119 bits; valid in 2.0.1's passwordString too.
ALPHABET = string.ascii_letters + string.digits
LENGTH = 20


def new_station_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
