"""How a simulated OCPP 2.0.1 station answers the CSMS: remote control, availability, device model, triggers.

Each handler answers the way a real station would and, where the spec
says the answer is followed by messages of the station's own (a
TransactionEvent after RequestStartTransaction, StatusNotification after
ChangeAvailability, NotifyReport after GetBaseReport, a new
BootNotification after Reset), queues them with `_after_reply` so they go
out only after the CALLRESULT.  `CsmsCalls201` is a mixin of
SimulatedCharger201, whose state it reads and changes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import (
    Action,
    BootReasonEnumType,
    ChangeAvailabilityStatusEnumType,
    ClearCacheStatusEnumType,
    ComponentCriterionEnumType,
    DataTransferStatusEnumType,
    GenericDeviceModelStatusEnumType,
    MessageTriggerEnumType,
    OperationalStatusEnumType,
    ReadingContextEnumType,
    ReasonEnumType,
    RegistrationStatusEnumType,
    RequestStartStopStatusEnumType,
    ReservationUpdateStatusEnumType,
    ResetEnumType,
    ResetStatusEnumType,
    TriggerMessageStatusEnumType,
    UnlockStatusEnumType,
)
from ocpp.v201.enums import ChargingProfilePurposeEnumType as Purpose
from ocpp.v201.enums import TransactionEventEnumType as Event
from ocpp.v201.enums import TriggerReasonEnumType as Trigger

from simulator.base201 import StationBase201
from simulator.devicemodel201 import Variable
from simulator.meter import utc_now
from simulator.model201 import Evse

Sender = Callable[[list[Evse]], Coroutine[Any, Any, Any]]


class CsmsCalls201(StationBase201):
    """The everyday CSMS-initiated 2.0.1 calls (see module docstring)."""

    # ------------------------------------------------------------ transactions

    @on(Action.request_start_transaction)
    def _on_request_start_transaction(
        self,
        id_token: dict,
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict | None = None,
        **_: Any,
    ) -> call_result.RequestStartTransaction:
        """Accepted when an EVSE is free; the transaction then starts with triggerReason RemoteStart."""
        evse = self._evse_for_start(evse_id, id_token["id_token"])
        if evse is None:
            return call_result.RequestStartTransaction(RequestStartStopStatusEnumType.rejected)
        if charging_profile is not None:
            if charging_profile["charging_profile_purpose"] != Purpose.tx_profile:
                info = {"reason_code": "InvalidProfile"}
                return call_result.RequestStartTransaction(RequestStartStopStatusEnumType.rejected, status_info=info)
            self.profiles.install(evse.evse_id, charging_profile)
        authorize = self._setting_bool("AuthCtrlr", "AuthorizeRemoteStart")
        self._after_reply(
            lambda: self.start_session(evse.evse_id, id_token, authorize=authorize, remote_start_id=remote_start_id)
        )
        return call_result.RequestStartTransaction(RequestStartStopStatusEnumType.accepted)

    @on(Action.request_stop_transaction)
    def _on_request_stop_transaction(self, transaction_id: str, **_: Any) -> call_result.RequestStopTransaction:
        tx = next((t for t in self.active_sessions if t.transaction_id == transaction_id), None)
        if tx is None:
            return call_result.RequestStopTransaction(RequestStartStopStatusEnumType.rejected)
        self._after_reply(lambda: self.stop_session(tx.evse_id, reason=ReasonEnumType.remote))
        return call_result.RequestStopTransaction(RequestStartStopStatusEnumType.accepted)

    @on(Action.get_transaction_status)
    def _on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> call_result.GetTransactionStatus:
        ongoing = None
        if transaction_id is not None:
            ongoing = any(e.transaction and e.transaction.transaction_id == transaction_id for e in self.evses.values())
        return call_result.GetTransactionStatus(self.queued_for(transaction_id), ongoing_indicator=ongoing)

    # ------------------------------------------------------------ the station

    @on(Action.reset)
    def _on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> call_result.Reset:
        """Immediate: stop, reboot, boot again. OnIdle: the same, once the last transaction has ended."""
        if evse_id is not None:
            info = {"reason_code": "UnsupportedRequest", "additional_info": "EVSE resets are not supported"}
            return call_result.Reset(ResetStatusEnumType.rejected, status_info=info)
        if type == ResetEnumType.on_idle and self.active_sessions:
            self._reset_pending = True
            return call_result.Reset(ResetStatusEnumType.scheduled)
        self._after_reply(lambda: self.reboot(BootReasonEnumType.remote_reset))
        return call_result.Reset(ResetStatusEnumType.accepted)

    @on(Action.unlock_connector)
    def _on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        evse = self.evses.get(evse_id)
        if evse is None or connector_id != evse.connector_id:
            return call_result.UnlockConnector(UnlockStatusEnumType.unknown_connector)
        running = evse.running
        if running is not None and running.authorized:
            return call_result.UnlockConnector(UnlockStatusEnumType.ongoing_authorized_transaction)
        if evse.plugged and evse.transaction is None:
            evse.plugged = False
            self._after_reply(lambda: self._update_status(evse))
        return call_result.UnlockConnector(UnlockStatusEnumType.unlocked)

    @on(Action.change_availability)
    def _on_change_availability(
        self, operational_status: str, evse: dict | None = None, **_: Any
    ) -> call_result.ChangeAvailability:
        """With a transaction running the change waits for its end (Scheduled)."""
        operative = operational_status == OperationalStatusEnumType.operative
        if evse is None:
            if self.active_sessions:
                self.scheduled_operative = operative
                return call_result.ChangeAvailability(ChangeAvailabilityStatusEnumType.scheduled)
            self.operative = operative
            self._after_reply(lambda: self._apply_availability(list(self.evses.values())))
            return call_result.ChangeAvailability(ChangeAvailabilityStatusEnumType.accepted)
        target = self.evses.get(evse["id"])
        if target is None or evse.get("connector_id") not in (None, target.connector_id):
            return call_result.ChangeAvailability(ChangeAvailabilityStatusEnumType.rejected)
        if target.transaction is not None:
            target.scheduled_operative = operative
            return call_result.ChangeAvailability(ChangeAvailabilityStatusEnumType.scheduled)
        target.operative = operative
        self._after_reply(lambda: self._apply_availability([target]))
        return call_result.ChangeAvailability(ChangeAvailabilityStatusEnumType.accepted)

    async def _apply_availability(self, evses: list[Evse]) -> None:
        """Report the new statuses; a reservation on an EVSE taken out of service is removed."""
        for evse in evses:
            if evse.reservation is not None and not (evse.operative and self.operative):
                await self._end_reservation(evse, ReservationUpdateStatusEnumType.removed)
            await self._update_status(evse)

    # ----------------------------------------------------------- device model

    @on(Action.get_variables)
    def _on_get_variables(self, get_variable_data: list[dict], **_: Any) -> call_result.GetVariables:
        results = [
            self.device_model.get(item["component"], item["variable"], item.get("attribute_type"))
            for item in get_variable_data
        ]
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def _on_set_variables(self, set_variable_data: list[dict], **_: Any) -> call_result.SetVariables:
        results = []
        for item in set_variable_data:
            result, changed = self.device_model.set(
                item["component"], item["variable"], item["attribute_value"], item.get("attribute_type")
            )
            results.append(result)
            if changed is not None:
                self._variable_changed(changed)
        return call_result.SetVariables(set_variable_result=results)

    def _variable_changed(self, variable: Variable) -> None:
        """Settings that take effect at once on a real station."""
        key = (variable.component, variable.name)
        if key == ("OCPPCommCtrlr", "HeartbeatInterval") and self.online:
            self._restart_heartbeat()
        elif key == ("AlignedDataCtrlr", "Interval") and self.online:
            self._restart_aligned()
        elif key == ("OCPPCommCtrlr", "MessageTimeout"):
            self._response_timeout = float(variable.value)
        elif key == ("SecurityCtrlr", "BasicAuthPassword"):
            self.password = variable.value  # used from the next connection on

    @on(Action.get_base_report)
    def _on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> call_result.GetBaseReport:
        return self._start_report(request_id, self.device_model.base_report(report_base), call_result.GetBaseReport)

    @on(Action.get_report)
    def _on_get_report(
        self,
        request_id: int,
        component_variable: list[dict] | None = None,
        component_criteria: list[str] | None = None,
        **_: Any,
    ) -> call_result.GetReport:
        """Every component here counts as Active, Available and Enabled, and none has a Problem."""
        variables = self.device_model.select(component_variable)
        if component_criteria and set(component_criteria) <= {ComponentCriterionEnumType.problem}:
            variables = []
        return self._start_report(request_id, variables, call_result.GetReport)

    def _start_report(self, request_id: int, variables: list[Variable], answer: type) -> Any:
        if not variables:
            return answer(GenericDeviceModelStatusEnumType.empty_result_set)
        self._after_reply(lambda: self._send_report(request_id, variables))
        return answer(GenericDeviceModelStatusEnumType.accepted)

    async def _send_report(self, request_id: int, variables: list[Variable]) -> None:
        """NotifyReport in pages of DeviceDataCtrlr.ItemsPerMessage[GetReport], seqNo from 0, tbc but the last."""
        size = int(self._setting("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"))
        pages = [variables[start : start + size] for start in range(0, len(variables), size)]
        for seq_no, page in enumerate(pages):
            await self._notify(
                call.NotifyReport(
                    request_id=request_id,
                    generated_at=utc_now(),
                    seq_no=seq_no,
                    report_data=[v.report_data() for v in page],
                    tbc=seq_no < len(pages) - 1,
                )
            )

    # ---------------------------------------------------------------- trigger

    @on(Action.trigger_message)
    def _on_trigger_message(
        self, requested_message: str, evse: dict | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        evse_id = evse["id"] if evse else None
        if evse_id is not None and evse_id not in self.evses:
            return call_result.TriggerMessage(TriggerMessageStatusEnumType.rejected)
        targets = list(self.evses.values()) if evse_id is None else [self.evses[evse_id]]
        accepted = self.registration == RegistrationStatusEnumType.accepted
        if requested_message == MessageTriggerEnumType.boot_notification and accepted:
            return call_result.TriggerMessage(TriggerMessageStatusEnumType.rejected)  # nothing to re-register
        begun = any(e.running and e.running.begun for e in targets)
        if requested_message == MessageTriggerEnumType.transaction_event and not begun:
            return call_result.TriggerMessage(TriggerMessageStatusEnumType.rejected)
        sender = self._trigger_senders().get(requested_message)
        if sender is None:
            return call_result.TriggerMessage(TriggerMessageStatusEnumType.not_implemented)
        self._after_reply(lambda: sender(targets))
        return call_result.TriggerMessage(TriggerMessageStatusEnumType.accepted)

    def _trigger_senders(self) -> dict[str, Sender]:
        return {
            MessageTriggerEnumType.boot_notification: self._send_triggered_boot,
            MessageTriggerEnumType.heartbeat: lambda _: self._notify(call.Heartbeat()),
            MessageTriggerEnumType.status_notification: self._send_triggered_statuses,
            MessageTriggerEnumType.meter_values: self._send_triggered_meter_values,
            MessageTriggerEnumType.transaction_event: self._send_triggered_transaction_events,
            MessageTriggerEnumType.firmware_status_notification: lambda _: self._send_firmware_status(),
            MessageTriggerEnumType.log_status_notification: lambda _: self._send_log_status(),
        }

    async def _send_triggered_boot(self, _: list[Evse]) -> None:
        self.boot_reason = BootReasonEnumType.triggered
        self._boot_now.set()  # wakes the Pending boot loop

    async def _send_triggered_statuses(self, targets: list[Evse]) -> None:
        for evse in targets:
            await self._update_status(evse, force=True)

    async def _send_triggered_meter_values(self, targets: list[Evse]) -> None:
        """MeterValues (never a TransactionEvent) with the AlignedDataCtrlr measurands, context Trigger."""
        for evse in targets:
            sample = self._sample(evse, ReadingContextEnumType.trigger, "AlignedDataCtrlr", "Measurands")
            await self._notify(call.MeterValues(evse_id=evse.evse_id, meter_value=[sample]))

    async def _send_triggered_transaction_events(self, targets: list[Evse]) -> None:
        for evse in targets:
            tx = evse.running
            if tx is not None and tx.begun:
                sample = self._sample(evse, ReadingContextEnumType.trigger, "SampledDataCtrlr", "TxUpdatedMeasurands")
                await self._transaction_event(tx, Event.updated, Trigger.trigger, meter_value=sample)

    # ------------------------------------------------------------------ misc

    @on(Action.clear_cache)
    def _on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        if not self._setting_bool("AuthCacheCtrlr", "Enabled"):
            return call_result.ClearCache(ClearCacheStatusEnumType.rejected)
        self.auth_cache.clear()
        return call_result.ClearCache(ClearCacheStatusEnumType.accepted)

    @on(Action.data_transfer)
    def _on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any
    ) -> call_result.DataTransfer:
        """Accepts anything and echoes the data, so a CSMS test can see its payload came through."""
        return call_result.DataTransfer(DataTransferStatusEnumType.accepted, data=data)
