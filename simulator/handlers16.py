"""How a simulated OCPP 1.6J charger answers the CSMS: remote control, availability, configuration, triggers.

Each handler answers the way a real charger would and, where the spec says
the answer is followed by messages of the charger's own (StartTransaction
after RemoteStartTransaction, StatusNotification after ChangeAvailability,
a new BootNotification after Reset, whatever a TriggerMessage asks for),
queues them with `_after_reply` so they go out only after the CALLRESULT.
`CsmsCalls16` is a mixin of SimulatedCharger, whose state it reads and changes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.datatypes import KeyValue
from ocpp.v16.enums import (
    Action,
    AvailabilityStatus,
    AvailabilityType,
    ClearCacheStatus,
    ConfigurationStatus,
    DataTransferStatus,
    MessageTrigger,
    ReadingContext,
    Reason,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
)

from simulator.base16 import ChargerBase16
from simulator.model import authorization_key_password


class CsmsCalls16(ChargerBase16):
    """The everyday CSMS-initiated 1.6 calls (see module docstring)."""

    @on(Action.remote_start_transaction)
    def _on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: dict | None = None, **_: Any
    ) -> call_result.RemoteStartTransaction:
        connector = self._connector_for_remote_start(connector_id, id_tag)
        if connector is None:
            return call_result.RemoteStartTransaction(RemoteStartStopStatus.rejected)
        if charging_profile is not None:
            self.charging_profiles.install(connector.connector_id, charging_profile)
        authorize = self._config_bool("AuthorizeRemoteTxRequests")
        self._after_reply(lambda: self.start_session(connector.connector_id, id_tag, authorize=authorize))
        return call_result.RemoteStartTransaction(RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)
    def _on_remote_stop_transaction(self, transaction_id: int, **_: Any) -> call_result.RemoteStopTransaction:
        session = next(
            (s for s in self.active_sessions if s.transaction_id == transaction_id and not s.stopping.is_set()), None
        )
        if session is None:
            return call_result.RemoteStopTransaction(RemoteStartStopStatus.rejected)
        self._after_reply(lambda: self.stop_session(session.connector_id, reason=Reason.remote))
        return call_result.RemoteStopTransaction(RemoteStartStopStatus.accepted)

    @on(Action.reset)
    def _on_reset(self, type: str, **_: Any) -> call_result.Reset:
        reason = Reason.hard_reset if type == ResetType.hard else Reason.soft_reset
        self._after_reply(lambda: self.reboot(reason))
        return call_result.Reset(ResetStatus.accepted)

    @on(Action.unlock_connector)
    def _on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        connector = self.connectors.get(connector_id)
        if connector is None:
            return call_result.UnlockConnector(UnlockStatus.not_supported)
        if connector.session is not None and not connector.session.stopping.is_set():
            self._after_reply(lambda: self.stop_session(connector_id, reason=Reason.unlock_command))
        return call_result.UnlockConnector(UnlockStatus.unlocked)

    @on(Action.change_availability)
    def _on_change_availability(self, connector_id: int, type: str, **_: Any) -> call_result.ChangeAvailability:
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.ChangeAvailability(AvailabilityStatus.rejected)
        operative = type == AvailabilityType.operative
        targets = list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        if connector_id == 0:
            self.operative = operative
            self._after_reply(lambda: self._set_status(0, self._charge_point_status()))
        busy = False
        for connector in targets:
            if connector.session is not None:
                connector.scheduled_operative = operative
                busy = True
            else:
                connector.operative = operative
                self._after_reply(partial(self._report_idle_status, connector))
        return call_result.ChangeAvailability(AvailabilityStatus.scheduled if busy else AvailabilityStatus.accepted)

    @on(Action.get_configuration)
    def _on_get_configuration(self, key: list[str] | None = None, **_: Any) -> call_result.GetConfiguration:
        wanted = key or list(self.configuration)
        known = [
            KeyValue(key=k, readonly=self.configuration[k].readonly, value=self.configuration[k].value)
            for k in wanted
            if k in self.configuration
        ]
        unknown = [k for k in wanted if k not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def _on_change_configuration(self, key: str, value: str, **_: Any) -> call_result.ChangeConfiguration:
        if key == "AuthorizationKey":
            return self._change_authorization_key(value)
        entry = self.configuration.get(key)
        if entry is None:
            return call_result.ChangeConfiguration(ConfigurationStatus.not_supported)
        if entry.readonly or not entry.accepts(value):
            return call_result.ChangeConfiguration(ConfigurationStatus.rejected)
        entry.value = value
        if key == "HeartbeatInterval" and self.online:
            self._restart_heartbeat()
        return call_result.ChangeConfiguration(ConfigurationStatus.accepted)

    def _change_authorization_key(self, value: str) -> call_result.ChangeConfiguration:
        """Security whitepaper: the new Basic password, hex-encoded; write-only, so GetConfiguration never
        reports it (it is kept apart from the configuration keys)."""
        password = authorization_key_password(value)
        if password is None:
            return call_result.ChangeConfiguration(ConfigurationStatus.rejected)
        self.password = password  # presented from the next connection on
        return call_result.ChangeConfiguration(ConfigurationStatus.accepted)

    @on(Action.trigger_message)
    def _on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        senders = {
            MessageTrigger.boot_notification: self._send_triggered_boot,
            MessageTrigger.heartbeat: lambda _: self._notify(call.Heartbeat()),
            MessageTrigger.status_notification: self._send_triggered_status,
            MessageTrigger.meter_values: self._send_triggered_meter_values,
            MessageTrigger.firmware_status_notification: lambda _: self._notify(
                call.FirmwareStatusNotification(self.firmware_status)
            ),
            MessageTrigger.diagnostics_status_notification: lambda _: self._notify(
                call.DiagnosticsStatusNotification(self.diagnostics_status)
            ),
        }
        if connector_id not in (None, 0, *self.connectors):
            return call_result.TriggerMessage(TriggerMessageStatus.rejected)
        sender = senders.get(requested_message)
        if sender is None:
            return call_result.TriggerMessage(TriggerMessageStatus.not_implemented)
        self._after_reply(lambda: sender(connector_id))
        return call_result.TriggerMessage(TriggerMessageStatus.accepted)

    @on(Action.clear_cache)
    def _on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(ClearCacheStatus.accepted)

    @on(Action.data_transfer)
    def _on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        """Accepts anything and echoes the data, so a CSMS test can see its payload came through."""
        return call_result.DataTransfer(DataTransferStatus.accepted, data=data)

    async def _send_triggered_status(self, connector_id: int | None) -> None:
        if connector_id is None:
            await self._report_statuses()
        elif connector_id == 0:
            await self._set_status(0, self._charge_point_status())
        else:
            await self._set_status(connector_id, self.connectors[connector_id].status)

    async def _send_triggered_meter_values(self, connector_id: int | None) -> None:
        targets = list(self.connectors.values()) if connector_id in (None, 0) else [self.connectors[connector_id]]
        for connector in targets:
            session = connector.session
            sample = connector.meter.sample(ReadingContext.trigger, self._measurands())
            transaction_id = session.transaction_id if session is not None else None
            await self._notify(
                call.MeterValues(
                    connector_id=connector.connector_id, meter_value=[sample], transaction_id=transaction_id
                )
            )
