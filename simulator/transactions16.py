"""Charging sessions of a simulated OCPP 1.6J charger: Authorize, StartTransaction, MeterValues, StopTransaction.

A session goes Preparing → (Authorize) → StartTransaction → Charging with
periodic MeterValues → StopTransaction → Finishing → Available, as a
compliant charger does it.  Transaction messages go through the link's
ordered offline queue, so they reach the CSMS in order across outages; the
StopTransaction carries the readings taken while offline.
`Transactions16` is a mixin of SimulatedCharger, whose state it reads and changes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ocpp.exceptions import OCPPError
from ocpp.v16 import call, call_result
from ocpp.v16.datatypes import MeterValue
from ocpp.v16.enums import AuthorizationStatus, ChargePointStatus, ReadingContext, Reason
from websockets.exceptions import ConnectionClosed

from simulator.base16 import ChargerBase16
from simulator.errors import AuthorizationRejected, LinkDown
from simulator.meter import ocpp_time
from simulator.model import Session


class Transactions16(ChargerBase16):
    """Sessions as 1.6 transactions (see module docstring)."""

    async def start_session(
        self, connector_id: int = 1, id_tag: str | None = None, *, authorize: bool = True
    ) -> Session:
        """Plug in an EV and charge: Preparing, Authorize, StartTransaction, Charging, then periodic MeterValues."""
        connector = self._connector(connector_id)
        id_tag = id_tag or self.options.id_tag
        self._check_can_start(connector, id_tag)
        session = connector.session = Session(connector_id, id_tag)
        await self._set_status(connector_id, ChargePointStatus.preparing)
        if authorize and not await self._authorize(id_tag):
            connector.session = None
            await self._set_status(connector_id, self._idle_status(connector))
            raise AuthorizationRejected(f"id tag {id_tag} refused")
        if connector.reservation is not None:
            session.reservation_id = connector.reservation.reservation_id
            connector.reservation = None
        connector.meter.plug_in(self.options.soc_start)
        session.started = datetime.now(UTC)
        session.meter_start_wh = connector.meter.meter_wh
        session.begin_sample = connector.meter.sample(ReadingContext.transaction_begin, self._measurands())
        start = call.StartTransaction(
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=session.meter_start_wh,
            timestamp=ocpp_time(session.started),
            reservation_id=session.reservation_id,
        )
        await self._send_transaction_message(lambda: start, lambda result: self._transaction_started(session, result))
        await self._set_status(connector_id, ChargePointStatus.charging)
        session.meter_task = self._spawn(self._meter_loop(session))
        self.emit(f"session started on connector {connector_id}, transaction {session.transaction_id}")
        return session

    async def send_meter_values(self, connector_id: int = 1, context: str = ReadingContext.sample_periodic) -> bool:
        """Sample the connector's meter and send it; during a transaction it is queued while offline.

        Returns whether it was delivered now.
        """
        connector = self._connector(connector_id)
        session = connector.session
        sample = connector.meter.sample(context, self._measurands())
        if session is None or not session.in_transaction:
            return await self._notify(call.MeterValues(connector_id=connector_id, meter_value=[sample])) is not None
        if not self.online:
            session.offline_samples.append(sample)
        return await self._send_transaction_message(
            lambda: call.MeterValues(
                connector_id=connector_id, meter_value=[sample], transaction_id=session.transaction_id
            )
        )

    async def stop_session(
        self, connector_id: int | None = None, *, reason: str = Reason.local, id_tag: str | None = None
    ) -> Session:
        """End the session as a compliant charger does: StopTransaction (meterStop, reason,
        transactionData), then Finishing while the cable is unplugged, then Available. (Finishing
        before the stop would be time parked inside the transaction, and billed as such.)"""
        connector, session = self._running_session(connector_id)
        session.stopping.set()
        if session.meter_task is not None:
            await asyncio.wait([session.meter_task])  # let an in-flight MeterValues finish first
        end_sample = connector.meter.sample(ReadingContext.transaction_end, self._measurands())
        connector.meter.unplug()
        session.meter_stop_wh = connector.meter.meter_wh
        session.stopped_at = end_sample.timestamp
        session.stop_reason = reason
        transaction_data = [session.begin_sample, *session.offline_samples, end_sample]
        await self._send_transaction_message(lambda: self._stop_transaction(session, id_tag, transaction_data))
        # Completed before the connector is free: whoever sees the connector free finds the session done.
        self.completed_sessions.append(session)
        connector.session = None
        await self._set_status(connector.connector_id, ChargePointStatus.finishing)
        self.charging_profiles.discard_tx_profiles(connector.connector_id)
        if connector.scheduled_operative is not None:
            connector.operative, connector.scheduled_operative = connector.scheduled_operative, None
        await self._set_status(connector.connector_id, self._idle_status(connector))
        self.emit(
            f"session stopped on connector {connector.connector_id}, transaction {session.transaction_id}, "
            f"{session.energy_wh} Wh, reason {reason}"
        )
        return session

    async def stop_own_session(self, session: Session, *, reason: str = Reason.local) -> Session | None:
        """Stop `session` if it still runs; None when it has ended already (refused, say). Whatever
        else runs on its connector by then (a driver's remote start) is not this session's to stop."""
        connector = self.connectors.get(session.connector_id)
        if connector is None or connector.session is not session or session.stopping.is_set():
            return None
        return await self.stop_session(session.connector_id, reason=reason)

    async def _authorize(self, id_tag: str) -> bool:
        """Ask the CSMS; offline (or without an answer) the charger authorizes locally (LocalAuthorizeOffline).
        With LocalPreAuthorize, a tag its local list accepts starts at once, without asking."""
        listed = self.local_list.get(id_tag) or {}
        if self._config_bool("LocalPreAuthorize") and listed.get("status") == AuthorizationStatus.accepted:
            return True
        if not self.online:
            return self._config_bool("LocalAuthorizeOffline")
        try:
            result = await self._call(call.Authorize(id_tag=id_tag))
        except (TimeoutError, LinkDown, ConnectionClosed):
            return self._config_bool("LocalAuthorizeOffline")
        except OCPPError:
            return False
        return result.id_tag_info["status"] == AuthorizationStatus.accepted

    def _transaction_started(self, session: Session, result: call_result.StartTransaction) -> None:
        session.transaction_id = result.transaction_id
        session.id_tag_status = result.id_tag_info["status"]
        refused = session.id_tag_status != AuthorizationStatus.accepted
        if refused and self._config_bool("StopTransactionOnInvalidId") and not session.stopping.is_set():
            self._spawn(self.stop_own_session(session, reason=Reason.de_authorized))

    def _stop_transaction(
        self, session: Session, id_tag: str | None, data: list[MeterValue]
    ) -> call.StopTransaction | None:
        """Built at send time: the transaction id may only have arrived after an outage."""
        if session.transaction_id is None:
            self.emit(f"StopTransaction dropped: connector {session.connector_id} never got a transaction id")
            return None
        return call.StopTransaction(
            meter_stop=session.meter_stop_wh,
            timestamp=session.stopped_at,
            transaction_id=session.transaction_id,
            reason=session.stop_reason,
            id_tag=id_tag or session.id_tag,
            transaction_data=data,
        )

    async def _meter_loop(self, session: Session) -> None:
        """MeterValues every MeterValueSampleInterval seconds until the session stops."""
        while (interval := self._config_float("MeterValueSampleInterval")) > 0:
            try:
                await asyncio.wait_for(session.stopping.wait(), interval)
                return
            except TimeoutError:
                await self.send_meter_values(session.connector_id)
