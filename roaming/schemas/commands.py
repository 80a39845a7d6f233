"""OCPI 2.2.1 Commands and ChargingProfiles shapes (mod_commands.asciidoc, mod_charging_profiles.asciidoc):
what we answer at once and the results we POST to a partner's response_url."""

from roaming.schemas.types import DATE_TIME, DISPLAY_TEXT, INT, NUMBER, enum, many, obj

COMMAND_RESPONSE_TYPE = enum("NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION")
COMMAND_RESULT_TYPE = enum(
    "ACCEPTED", "CANCELED_RESERVATION", "EVSE_OCCUPIED", "EVSE_INOPERATIVE", "FAILED", "NOT_SUPPORTED", "REJECTED",
    "TIMEOUT", "UNKNOWN_RESERVATION",
)  # fmt: skip
COMMAND_RESPONSE = obj({"result": COMMAND_RESPONSE_TYPE, "timeout": INT}, {"message": many(DISPLAY_TEXT)})
COMMAND_RESULT = obj({"result": COMMAND_RESULT_TYPE}, {"message": many(DISPLAY_TEXT)})

CHARGING_PROFILE_RESPONSE_TYPE = enum("ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TOO_OFTEN", "UNKNOWN_SESSION")
CHARGING_PROFILE_RESULT_TYPE = enum("ACCEPTED", "REJECTED", "UNKNOWN")
CHARGING_PROFILE_PERIOD = obj({"start_period": INT, "limit": NUMBER})
CHARGING_PROFILE = obj(
    {"charging_rate_unit": enum("W", "A")},
    {
        "start_date_time": DATE_TIME,
        "duration": INT,
        "min_charging_rate": NUMBER,
        "charging_profile_period": many(CHARGING_PROFILE_PERIOD),
    },
)
ACTIVE_CHARGING_PROFILE = obj({"start_date_time": DATE_TIME, "charging_profile": CHARGING_PROFILE})
CHARGING_PROFILE_RESPONSE = obj({"result": CHARGING_PROFILE_RESPONSE_TYPE, "timeout": INT})
ACTIVE_CHARGING_PROFILE_RESULT = obj({"result": CHARGING_PROFILE_RESULT_TYPE}, {"profile": ACTIVE_CHARGING_PROFILE})
CHARGING_PROFILE_RESULT = obj({"result": CHARGING_PROFILE_RESULT_TYPE})
CLEAR_PROFILE_RESULT = obj({"result": CHARGING_PROFILE_RESULT_TYPE})
