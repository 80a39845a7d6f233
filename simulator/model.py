"""The data a simulated charger keeps: its options, configuration keys, connectors, sessions and traffic log."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

from ocpp.messages import MessageType
from ocpp.v16.datatypes import MeterValue
from ocpp.v16.enums import ChargePointStatus

from simulator.meter import DEFAULT_MEASURANDS, SUPPORTED_MEASURANDS, Meter

Answer = Literal["reject", "ignore"]


@dataclass
class ChargerOptions:
    """Everything that makes one simulated charger different from another."""

    password: str | None = None  # HTTP Basic (security profile 1); None sends no Authorization header
    connectors: int = 1
    vendor: str = "Voltstack"
    model: str = "SimCharger16"
    serial_number: str = ""  # empty: derived from the charge point id
    firmware_version: str = "sim-1.0.0"
    iccid: str = "89310410106543789301"
    imsi: str = "204043212345678"
    meter_type: str = "SimMeter AC"
    id_tag: str = "SIMTAG01"
    meter_interval: float = 60.0  # seconds between MeterValues in a session; 0 sends none on its own
    measurands: tuple[str, ...] = DEFAULT_MEASURANDS
    power_w: float = 11_000.0
    voltage_v: float = 230.0
    phases: int = 3
    battery_wh: float = 60_000.0
    soc_start: float = 20.0
    speedup: float = 1.0  # simulated seconds per real second, for energy and SoC only
    response_timeout: float = 30.0
    connect_timeout: float = 10.0
    boot_retry_interval: float = 30.0  # when a Pending/Rejected answer gives interval 0
    boot_attempts: int = 20
    auto_reconnect: bool = True  # after the CSMS or the network closes the link
    reconnect_delay: float = 1.0
    reconnect_max_delay: float = 30.0
    step_delay: float = 1.0  # pause between firmware/diagnostics status steps and during a reboot
    validate_messages: bool = True  # JSON-schema checks of the charger's own CALLs and their answers
    frame_log_size: int | None = 10_000  # frames kept in `frames`; None keeps all, 0 none
    answers: dict[str, Answer] = field(default_factory=dict)  # action -> "reject" | "ignore"
    config_overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = {answer for answer in self.answers.values() if answer not in ("reject", "ignore")}
        if unknown:
            raise ValueError(f"answers must be 'reject' or 'ignore', not {sorted(unknown)}")


@dataclass
class ConfigKey:
    value: str
    readonly: bool = False
    kind: Literal["text", "number", "bool", "measurands"] = "text"

    def accepts(self, value: str) -> bool:
        """Would a real charger take this value for this key?"""
        if self.kind == "number":
            try:
                return float(value) >= 0
            except ValueError:
                return False
        if self.kind == "bool":
            return value.lower() in ("true", "false")
        if self.kind == "measurands":
            return all(item.strip() in SUPPORTED_MEASURANDS for item in value.split(","))
        return True


def authorization_key_password(value: str) -> str | None:
    """The Basic password an OCPP 1.6 AuthorizationKey stands for (security whitepaper: 16 to 20 bytes,
    hex-encoded), or None when it is not one. This simulator sends UTF-8 passwords only."""
    try:
        raw = bytes.fromhex(value)
        return raw.decode("utf-8") if 16 <= len(raw) <= 20 else None
    except ValueError:
        return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def default_configuration(options: ChargerOptions) -> dict[str, ConfigKey]:
    """The configuration keys GetConfiguration reports; a CSMS may change the writable ones."""
    config = {
        "HeartbeatInterval": ConfigKey("300", kind="number"),
        "MeterValueSampleInterval": ConfigKey(_number(options.meter_interval), kind="number"),
        "MeterValuesSampledData": ConfigKey(",".join(options.measurands), kind="measurands"),
        "NumberOfConnectors": ConfigKey(str(options.connectors), readonly=True),
        "AuthorizeRemoteTxRequests": ConfigKey("false", kind="bool"),
        "ConnectionTimeOut": ConfigKey("60", kind="number"),
        "LocalAuthorizeOffline": ConfigKey("true", kind="bool"),
        "LocalPreAuthorize": ConfigKey("false", kind="bool"),
        "StopTransactionOnInvalidId": ConfigKey("true", kind="bool"),
        "TransactionMessageAttempts": ConfigKey("3", kind="number"),
        "TransactionMessageRetryInterval": ConfigKey("10", kind="number"),
        "LocalAuthListEnabled": ConfigKey("true", kind="bool"),
        "LocalAuthListMaxLength": ConfigKey("100", readonly=True),
        "SendLocalListMaxLength": ConfigKey("100", readonly=True),
        "ReserveConnectorZeroSupported": ConfigKey("false", readonly=True),
        "ChargeProfileMaxStackLevel": ConfigKey("10", readonly=True),
        "ChargingScheduleAllowedChargingRateUnit": ConfigKey("Current,Power", readonly=True),
        "ChargingScheduleMaxPeriods": ConfigKey("24", readonly=True),
        "MaxChargingProfilesInstalled": ConfigKey("10", readonly=True),
        "GetConfigurationMaxKeys": ConfigKey("50", readonly=True),
        "SupportedFeatureProfiles": ConfigKey(
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger", readonly=True
        ),
    }
    for key, value in options.config_overrides.items():
        config.setdefault(key, ConfigKey(value)).value = value
    return config


@dataclass
class Frame:
    """One WebSocket text frame as it went over the wire."""

    direction: Literal["sent", "received"]
    text: str
    at: float  # time.time()

    @cached_property
    def message(self) -> list:
        return json.loads(self.text)

    @property
    def message_type(self) -> int:
        return self.message[0]

    @property
    def unique_id(self) -> str:
        return self.message[1]

    @property
    def action(self) -> str | None:
        return self.message[2] if self.message_type == MessageType.Call else None

    @property
    def payload(self) -> dict:
        """The CALL or CALLRESULT payload; for a CALLERROR, its code, description and details."""
        if self.message_type == MessageType.Call:
            return self.message[3]
        if self.message_type == MessageType.CallResult:
            return self.message[2]
        return {"errorCode": self.message[2], "errorDescription": self.message[3], "errorDetails": self.message[4]}


@dataclass
class Exchange:
    """A CALL and the answer to it (None while unanswered or ignored)."""

    request: Frame
    response: Frame | None

    @property
    def answered_ok(self) -> bool:
        return self.response is not None and self.response.message_type == MessageType.CallResult


@dataclass
class Session:
    """One charging session; an OCPP transaction once the CSMS has numbered it."""

    connector_id: int
    id_tag: str
    reservation_id: int | None = None
    started: datetime | None = None
    meter_start_wh: int | None = None
    transaction_id: int | None = None
    id_tag_status: str | None = None  # idTagInfo.status of the StartTransaction answer
    meter_stop_wh: int | None = None
    stopped_at: str | None = None
    stop_reason: str | None = None
    begin_sample: MeterValue | None = field(default=None, repr=False)
    offline_samples: list[MeterValue] = field(default_factory=list, repr=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    meter_task: asyncio.Task | None = field(default=None, repr=False)

    @property
    def in_transaction(self) -> bool:
        """StartTransaction has been issued (it may still wait in the offline queue)."""
        return self.meter_start_wh is not None

    @property
    def energy_wh(self) -> int:
        """What the meter advanced from start to stop; 0 until both are known."""
        if self.meter_start_wh is None or self.meter_stop_wh is None:
            return 0
        return self.meter_stop_wh - self.meter_start_wh


@dataclass
class Reservation:
    reservation_id: int
    id_tag: str
    expiry: datetime
    parent_id_tag: str | None = None

    def admits(self, id_tag: str) -> bool:
        return id_tag in (self.id_tag, self.parent_id_tag)


@dataclass
class Connector:
    connector_id: int
    meter: Meter
    status: str = ChargePointStatus.available
    operative: bool = True
    scheduled_operative: bool | None = None  # ChangeAvailability that waits for the session to end
    session: Session | None = None
    reservation: Reservation | None = None
