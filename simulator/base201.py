"""What the parts of a simulated OCPP 2.0.1 station share: its link, its state, and what each part supplies.

`SimulatedCharger201` is assembled from one mixin per concept
(transactions201, handlers201, smartcharging201, services201), each a
`StationBase201`, so each part reads the station's state and calls the
other parts through one typed interface.  The state is set up by
`SimulatedCharger201.__init__`; the methods declared here for the type
checker are implemented by the part named beside them (mypy checks that
each implementation matches its declaration).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ocpp.v201.datatypes import MeterValueType

from simulator.devicemodel201 import DeviceModel
from simulator.link201 import StationLink201
from simulator.model201 import Evse, Transaction

if TYPE_CHECKING:
    from simulator.smartcharging201 import StationProfiles  # a part of the station, so it imports this module


class StationBase201(StationLink201):
    """The shared link plus the station's state and parts (see module docstring)."""

    evses: dict[int, Evse]
    device_model: DeviceModel
    profiles: StationProfiles
    operative: bool  # the station as a whole
    scheduled_operative: bool | None  # station-wide ChangeAvailability waiting for idle
    completed_sessions: list[Transaction]
    local_list_version: int
    local_list: dict[str, dict]  # idToken -> idTokenInfo (SendLocalList)
    auth_cache: dict[str, str]  # idToken -> status of the last Authorize
    boot_reason: str
    firmware_status: str
    firmware_request_id: int | None
    log_status: str
    log_request_id: int | None
    _firmware_task: asyncio.Task | None
    _log_task: asyncio.Task | None
    _reset_pending: bool  # Reset OnIdle answered Scheduled
    _boot_now: asyncio.Event

    if TYPE_CHECKING:
        # charger201: boot, heartbeat, statuses, settings, EVSEs
        @property
        def active_sessions(self) -> list[Transaction]: ...
        @property
        def _connector_type(self) -> str: ...
        @property
        def _id_token_type(self) -> str: ...
        async def reboot(self, reason: str = ...) -> None: ...
        async def send_security_event(self, kind: str, tech_info: str | None = ...) -> None: ...
        async def _update_status(self, evse: Evse, *, force: bool = ...) -> None: ...
        def _restart_heartbeat(self) -> None: ...
        def _restart_aligned(self) -> None: ...
        def _setting(self, component: str, name: str, instance: str | None = ...) -> str: ...
        def _setting_bool(self, component: str, name: str) -> bool: ...
        def _setting_list(self, component: str, name: str) -> list[str]: ...
        def _sample(self, evse: Evse, context: str, component: str, variable: str) -> MeterValueType: ...
        def _limit_w(self, evse_id: int) -> float | None: ...
        def _evse(self, evse_id: int) -> Evse: ...
        def _running_transaction(self, evse_id: int | None) -> tuple[Evse, Transaction]: ...
        def _check_can_start(self, evse: Evse, token: str) -> None: ...
        def _evse_for_start(self, evse_id: int | None, token: str) -> Evse | None: ...

        # transactions201: sessions as TransactionEvents
        async def start_session(
            self,
            evse_id: int = ...,
            id_token: str | dict | None = ...,
            *,
            authorize: bool = ...,
            remote_start_id: int | None = ...,
        ) -> Transaction: ...
        async def stop_session(
            self,
            evse_id: int | None = ...,
            *,
            reason: str = ...,
            trigger_reason: str | None = ...,
            id_token: str | dict | None = ...,
        ) -> Transaction: ...
        async def _transaction_event(
            self,
            tx: Transaction,
            event_type: str,
            trigger: str,
            *,
            meter_value: MeterValueType | None = ...,
            with_token: bool = ...,
            with_evse: bool = ...,
            token: dict | None = ...,
        ) -> bool: ...

        # handlers201: availability
        async def _apply_availability(self, evses: list[Evse]) -> None: ...

        # services201: reservations, firmware, logs
        async def _end_reservation(self, evse: Evse, why: str) -> None: ...
        async def _send_firmware_status(self) -> None: ...
        async def _send_log_status(self) -> None: ...
