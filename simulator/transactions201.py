"""The transactions of a simulated OCPP 2.0.1 station: plug-in to unplug, as TransactionEvents.

A 2.0.1 transaction is one numbered stream of TransactionEvents that the
station names itself (a UUID): Started (when TxCtrlr.TxStartPoint is
reached), Updated (meter values every SampledDataCtrlr.TxUpdatedInterval,
or when something changes such as the authorization), Ended (with a
stoppedReason and the final meter value).  Because the station does not
wait for the CSMS to name the transaction, a transaction can run entirely
offline; its events are marked `offline` and queued in seqNo order.
`Transactions201` is a mixin of SimulatedCharger201.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ocpp.exceptions import OCPPError
from ocpp.v201 import call, call_result
from ocpp.v201.datatypes import MeterValueType
from ocpp.v201.enums import (
    AuthorizationStatusEnumType,
    BootReasonEnumType,
    ChargingStateEnumType,
    ReadingContextEnumType,
    ReasonEnumType,
)
from ocpp.v201.enums import TransactionEventEnumType as Event
from ocpp.v201.enums import TriggerReasonEnumType as Trigger
from websockets.exceptions import ConnectionClosed

from simulator.base201 import StationBase201
from simulator.errors import AuthorizationRejected, LinkDown
from simulator.meter import utc_now
from simulator.model201 import END_TRIGGERS, Evse, Transaction
from simulator.model201 import id_token as make_id_token


class Transactions201(StationBase201):
    """start_session(), send_meter_values(), stop_session() and the TransactionEvents they cause."""

    async def start_session(
        self,
        evse_id: int = 1,
        id_token: str | dict | None = None,
        *,
        authorize: bool = True,
        remote_start_id: int | None = None,
    ) -> Transaction:
        """Plug in an EV (Occupied), authorize the idToken, start the transaction, then send Updated periodically.

        With TxCtrlr.TxStartPoint EVConnected the transaction starts at plug-in
        (Started with CablePluggedIn) and the authorization follows as Updated.
        """
        evse = self._evse(evse_id)
        token = make_id_token(id_token or self.options.id_tag, self._id_token_type)
        self._check_can_start(evse, token["id_token"])
        tx = evse.transaction = Transaction(evse_id, evse.connector_id, token, remote_start_id=remote_start_id)
        evse.plugged = True
        evse.meter.plug_in(self.options.soc_start)
        evse.meter.charging = False  # no power flows before the idToken is authorized
        tx.started = datetime.now(UTC)
        tx.meter_start_wh = evse.meter.meter_wh
        await self._update_status(evse)
        on_plug = "EVConnected" in self._setting_list("TxCtrlr", "TxStartPoint")
        if on_plug:
            await self._begin(evse, tx, Trigger.cable_plugged_in, with_token=False)
        if authorize and not await self._authorize(token):
            await self._abandon(evse, tx, started=on_plug)
            raise AuthorizationRejected(f"idToken {token['id_token']} refused")
        self._authorized(evse, tx)
        trigger = Trigger.remote_start if remote_start_id is not None else Trigger.authorized
        if on_plug:
            await self._transaction_event(tx, Event.updated, trigger, with_token=True)
        else:
            await self._begin(evse, tx, trigger, with_token=True)
        tx.meter_task = self._spawn(self._meter_loop(tx))
        self.emit(f"transaction {tx.transaction_id} started on EVSE {evse_id}")
        return tx

    async def send_meter_values(self, evse_id: int = 1, context: str = ReadingContextEnumType.sample_periodic) -> bool:
        """Sample the EVSE's meter: a TransactionEvent Updated during a transaction (queued while offline),
        else a MeterValues message.  Returns whether it was delivered now."""
        evse = self._evse(evse_id)
        tx = evse.running
        if tx is None or not tx.begun:
            sample = self._sample(evse, context, "AlignedDataCtrlr", "Measurands")
            return await self._notify(call.MeterValues(evse_id=evse_id, meter_value=[sample])) is not None
        trigger = {
            ReadingContextEnumType.sample_clock: Trigger.meter_value_clock,
            ReadingContextEnumType.trigger: Trigger.trigger,
        }.get(context, Trigger.meter_value_periodic)
        sample = self._sample(evse, context, "SampledDataCtrlr", "TxUpdatedMeasurands")
        return await self._transaction_event(tx, Event.updated, trigger, meter_value=sample)

    async def stop_session(
        self,
        evse_id: int | None = None,
        *,
        reason: str = ReasonEnumType.local,
        trigger_reason: str | None = None,
        id_token: str | dict | None = None,
    ) -> Transaction:
        """End the transaction: TransactionEvent Ended (stoppedReason, final meter value), unplug, status.

        The triggerReason follows from the reason (Local → StopAuthorized,
        Remote → RemoteStop, EVDisconnected → EVCommunicationLost, ...) unless given.
        """
        evse, tx = self._running_transaction(evse_id)
        tx.stopping.set()
        if tx.meter_task is not None:
            await asyncio.wait([tx.meter_task])  # let an in-flight Updated go first
        evse.meter.advance()
        evse.meter.charging = False  # the power path opens first, so the final reading is final
        sample = self._sample(evse, ReadingContextEnumType.transaction_end, "SampledDataCtrlr", "TxEndedMeasurands")
        evse.meter.unplug()
        tx.set_charging(False)
        if reason == ReasonEnumType.ev_disconnected:
            tx.charging_state = ChargingStateEnumType.idle
        tx.meter_stop_wh, tx.stopped_reason = evse.meter.meter_wh, reason
        trigger = trigger_reason or END_TRIGGERS.get(reason, Trigger.abnormal_condition)
        stop_token = make_id_token(id_token, self._id_token_type) if id_token is not None else tx.id_token
        with_token = trigger == Trigger.stop_authorized
        await self._transaction_event(
            tx, Event.ended, trigger, meter_value=sample, with_token=with_token, token=stop_token
        )
        evse.transaction, evse.plugged = None, False
        self.completed_sessions.append(tx)
        self.profiles.discard_tx_profiles(evse.evse_id)
        await self._after_transaction(evse)
        self.emit(f"transaction {tx.transaction_id} ended on EVSE {evse.evse_id}, {tx.energy_wh} Wh, reason {reason}")
        return tx

    async def stop_own_session(self, tx: Transaction, *, reason: str = ReasonEnumType.local) -> Transaction | None:
        """Stop `tx` if it still runs; None when it has ended already (refused, say). Whatever else
        runs on its EVSE by then (a driver's remote start) is not this transaction's to stop."""
        evse = self.evses.get(tx.evse_id)
        if evse is None or evse.running is not tx:
            return None
        return await self.stop_session(tx.evse_id, reason=reason)

    async def _begin(self, evse: Evse, tx: Transaction, trigger: str, *, with_token: bool) -> None:
        sample = self._sample(evse, ReadingContextEnumType.transaction_begin, "SampledDataCtrlr", "TxStartedMeasurands")
        await self._transaction_event(
            tx, Event.started, trigger, meter_value=sample, with_token=with_token, with_evse=True
        )

    def _authorized(self, evse: Evse, tx: Transaction) -> None:
        """The idToken is good: a reservation for it is used up, energy starts to flow."""
        evse.meter.advance()
        evse.meter.charging = True
        tx.authorized = True
        if evse.reservation is not None:
            tx.reservation_id = evse.reservation.reservation_id
            evse.reservation = None
        tx.set_charging(True)

    async def _abandon(self, evse: Evse, tx: Transaction, *, started: bool) -> None:
        """Authorization failed: end what was started, unplug, report the connector free again."""
        tx.stopping.set()
        evse.meter.unplug()
        if started:
            tx.stopped_reason = ReasonEnumType.de_authorized
            await self._transaction_event(tx, Event.ended, Trigger.deauthorized)
        evse.transaction, evse.plugged = None, False
        self.profiles.discard_tx_profiles(evse.evse_id)
        await self._update_status(evse)

    async def _after_transaction(self, evse: Evse) -> None:
        """Apply what waited for the end of a transaction: availability changes and an OnIdle reset."""
        if evse.scheduled_operative is not None:
            evse.operative, evse.scheduled_operative = evse.scheduled_operative, None
        idle = not any(e.transaction for e in self.evses.values())
        if idle and self.scheduled_operative is not None:
            self.operative, self.scheduled_operative = self.scheduled_operative, None
            await self._apply_availability(list(self.evses.values()))
        else:
            await self._update_status(evse)
        if idle and self._reset_pending:
            self._spawn(self.reboot(BootReasonEnumType.remote_reset))

    async def _transaction_event(
        self,
        tx: Transaction,
        event_type: str,
        trigger: str,
        *,
        meter_value: MeterValueType | None = None,
        with_token: bool = False,
        with_evse: bool = False,
        token: dict | None = None,
    ) -> bool:
        """Number the event, mark it offline when the link is down, and queue it behind earlier ones."""
        info = {
            "transaction_id": tx.transaction_id,
            "charging_state": tx.state_change(),
            "time_spent_charging": tx.time_spent_charging if event_type != Event.started else None,
            "stopped_reason": tx.stopped_reason if event_type == Event.ended else None,
            "remote_start_id": tx.remote_start_id if trigger == Trigger.remote_start else None,
        }
        payload = call.TransactionEvent(
            event_type=event_type,
            timestamp=meter_value.timestamp if meter_value is not None else utc_now(),
            trigger_reason=trigger,
            seq_no=tx.next_seq_no(),
            transaction_info=info,
            meter_value=[meter_value] if meter_value is not None else None,
            offline=True if not self.online else None,
            reservation_id=tx.reservation_id if with_token else None,
            evse={"id": tx.evse_id, "connector_id": tx.connector_id} if with_evse else None,
            id_token=(token or tx.id_token) if with_token else None,
        )
        on_result = (lambda result: self._token_answer(tx, result)) if with_token else None
        return await self._send_transaction_event(payload, on_result)

    def _token_answer(self, tx: Transaction, result: call_result.TransactionEvent) -> None:
        """A CSMS that refuses the idToken of a running transaction gets it stopped (TxCtrlr.StopTxOnInvalidId)."""
        if result.id_token_info is None:
            return
        tx.id_token_status = result.id_token_info["status"]
        refused = tx.id_token_status != AuthorizationStatusEnumType.accepted
        if refused and self._setting_bool("TxCtrlr", "StopTxOnInvalidId") and not tx.stopping.is_set():
            self._spawn(self.stop_own_session(tx, reason=ReasonEnumType.de_authorized))

    async def _meter_loop(self, tx: Transaction) -> None:
        """TransactionEvent Updated every SampledDataCtrlr.TxUpdatedInterval seconds until the transaction stops."""
        while (interval := float(self._setting("SampledDataCtrlr", "TxUpdatedInterval"))) > 0:
            try:
                await asyncio.wait_for(tx.stopping.wait(), interval)
                return
            except TimeoutError:
                await self.send_meter_values(tx.evse_id)

    async def _authorize(self, token: dict) -> bool:
        """Local list or cache first when allowed, else Authorize; offline, the AuthCtrlr rules decide."""
        key = token["id_token"]
        local = self._local_status(key)
        if local == AuthorizationStatusEnumType.accepted and self._setting_bool("AuthCtrlr", "LocalPreAuthorize"):
            return True
        if not self.online:
            return self._offline_verdict(local)
        try:
            result = await self._call(call.Authorize(id_token=token))
        except (TimeoutError, LinkDown, ConnectionClosed):
            return self._offline_verdict(local)
        except OCPPError:
            return False
        status = result.id_token_info["status"]
        if self._setting_bool("AuthCacheCtrlr", "Enabled"):
            self.auth_cache[key] = status
        return status == AuthorizationStatusEnumType.accepted

    def _local_status(self, key: str) -> str | None:
        if self._setting_bool("LocalAuthListCtrlr", "Enabled") and key in self.local_list:
            return self.local_list[key]["status"]
        if self._setting_bool("AuthCacheCtrlr", "Enabled"):
            return self.auth_cache.get(key)
        return None

    def _offline_verdict(self, local: str | None) -> bool:
        if local is None:
            return self._setting_bool("AuthCtrlr", "OfflineTxForUnknownIdEnabled")
        allowed = self._setting_bool("AuthCtrlr", "LocalAuthorizeOffline")
        return allowed and local == AuthorizationStatusEnumType.accepted
