"""A fleet of simulated chargers run against a CSMS: the engine behind `python -m simulator` (simulator.cli).

Every station boots (OCPP 1.6J or 2.0.1), runs its sessions one after another
(rotating over its connectors), optionally loses its network link at a fixed
period, and ends tidily: running sessions are stopped and the socket closed,
whether the run finished, reached its duration or was interrupted.

Each station presents its own id tag (`{station}` in `id_tag` is its charge
point id), as a real charger has its own card reader: one tag shared by
several stations gets one start and ConcurrentTx for the others. A station
only ever stops the sessions it started itself, never a driver's remote start
on the same connector.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from simulator.charger16 import SimulatedCharger
from simulator.charger201 import SimulatedCharger201
from simulator.errors import CONNECT_ERRORS, SimulatorError
from simulator.model import ChargerOptions
from simulator.model201 import ChargerOptions201

# Stations start this many seconds apart, so a big fleet does not open every socket in the same instant.
STAGGER_SECONDS = 0.01
# Bound on the tidy shutdown of one station (stop its sessions, close its socket).
SHUTDOWN_TIMEOUT = 15.0

EventSink = Callable[[str, str], None]
OCPP_VERSIONS = ("1.6", "2.0.1")
Charger = SimulatedCharger | SimulatedCharger201
SessionT = TypeVar("SessionT")


class OwnSessions(Protocol[SessionT]):
    """A charger as far as running its own sessions goes: what start_session returns, stop_own_session takes.

    A 1.6 charger's sessions are `Session`s, a 2.0.1 station's `Transaction`s;
    the fleet holds both kinds, so it sees them as `OwnSessions[Any]` and only
    ever hands a charger back a session that charger made.
    """

    @property
    def options(self) -> ChargerOptions: ...
    @property
    def active_sessions(self) -> list[SessionT]: ...
    async def start_session(self, number: int = ..., /) -> SessionT: ...
    async def stop_own_session(self, session: SessionT, /) -> SessionT | None: ...


@dataclass
class FleetOptions:
    url: str = "ws://127.0.0.1:8000/ocpp"
    stations: int = 1
    prefix: str = "SIM-"
    password: str | None = None
    connectors: int = 1  # per station, unless connectors_by_station names it
    connectors_by_station: dict[str, int] = field(default_factory=dict)
    id_tag: str = "{station}-TAG"  # "{station}" is replaced by each station's charge point id
    ocpp_version: str = "1.6"
    meter_interval: float = 5.0
    session_seconds: float = 60.0
    sessions: int = 1  # per station
    pause_seconds: float = 5.0  # between two sessions of a station
    reconnect_every: float = 0.0  # drop and restore each station's link this often; 0 never
    outage_seconds: float = 2.0  # how long such a drop lasts
    duration: float = 0.0  # end the run after this many seconds; 0 when every station is done
    speedup: float = 1.0

    def station_ids(self) -> list[str]:
        return [f"{self.prefix}{n:04d}" for n in range(1, self.stations + 1)]

    def __post_init__(self) -> None:
        if self.ocpp_version not in OCPP_VERSIONS:
            raise ValueError(f"ocpp_version must be one of {', '.join(OCPP_VERSIONS)}, not {self.ocpp_version!r}")

    def id_tag_of(self, charge_point_id: str) -> str:
        return self.id_tag.replace("{station}", charge_point_id)

    def charger_options(self, charge_point_id: str) -> ChargerOptions:
        options = ChargerOptions201 if self.ocpp_version == "2.0.1" else ChargerOptions
        return options(
            password=self.password,
            connectors=self.connectors_by_station.get(charge_point_id, self.connectors),
            id_tag=self.id_tag_of(charge_point_id),
            meter_interval=self.meter_interval,
            speedup=self.speedup,
        )

    def charger(self, charge_point_id: str, on_event: EventSink | None) -> Charger:
        kind = SimulatedCharger201 if self.ocpp_version == "2.0.1" else SimulatedCharger
        return kind(charge_point_id, self.url, self.charger_options(charge_point_id), on_event=on_event)


@dataclass
class FleetSummary:
    stations: int
    booted: int
    sessions_completed: int
    energy_wh: int
    reconnects: int
    calls: Counter[str]
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def lines(self) -> list[str]:
        calls = ", ".join(f"{outcome} {count}" for outcome, count in sorted(self.calls.items())) or "none"
        lines = [
            f"stations: {self.booted}/{self.stations} booted",
            f"sessions completed: {self.sessions_completed} ({self.energy_wh / 1000:.1f} kWh)",
            f"reconnects: {self.reconnects}",
            f"calls: {calls}",
            f"elapsed: {self.elapsed:.1f}s",
        ]
        lines += [f"failure: {failure}" for failure in self.failures]
        return lines


async def run_fleet(
    options: FleetOptions, *, on_event: EventSink | None = None, stop: asyncio.Event | None = None
) -> FleetSummary:
    """Run every station concurrently until all are done, `duration` passes or `stop` is set."""
    stop = stop or asyncio.Event()
    started = time.monotonic()
    chargers = [options.charger(charge_point_id, on_event) for charge_point_id in options.station_ids()]
    failures: list[str] = []
    timer = asyncio.create_task(_set_after(stop, options.duration)) if options.duration > 0 else None
    try:
        await asyncio.gather(
            *(
                _drive_station(charger, options, stop, index * STAGGER_SECONDS, failures)
                for index, charger in enumerate(chargers)
            )
        )
    finally:
        if timer is not None:
            timer.cancel()
    return _summarize(chargers, failures, time.monotonic() - started)


def run_fleet_blocking(options: FleetOptions, *, on_event: EventSink | None = None) -> FleetSummary:
    """run_fleet in a fresh event loop; Ctrl-C or SIGTERM end the run tidily instead of killing it."""

    async def main() -> FleetSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            return await run_fleet(options, on_event=on_event, stop=stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    return asyncio.run(main())


async def _drive_station(
    charger: Charger, options: FleetOptions, stop: asyncio.Event, delay: float, failures: list[str]
) -> None:
    """One station's life: boot, its sessions with pauses in between, then a tidy shutdown."""
    flaky: asyncio.Task | None = None
    try:
        if await _stopped_within(stop, delay) or not await _bring_up(charger, options, stop):
            return
        if options.reconnect_every > 0:
            flaky = asyncio.create_task(_flaky_link(charger, options, stop))
        await _run_sessions(charger, options, stop)
        if options.duration > 0:
            await stop.wait()  # stay connected, heartbeating, until the run ends
    except (SimulatorError, *CONNECT_ERRORS) as exc:
        failures.append(f"{charger.id}: {exc!r}")
    finally:
        if flaky is not None:
            flaky.cancel()
            await asyncio.wait([flaky])
        await _shut_down(charger, failures)


async def _bring_up(charger: Charger, options: FleetOptions, stop: asyncio.Event) -> bool:
    """Connect and boot, retrying with back-off while the CSMS is unreachable; False if stopped first."""
    delay = 1.0
    while not stop.is_set():
        try:
            await charger.connect()
            await charger.boot()
            return True
        except CONNECT_ERRORS as exc:
            charger.emit(f"cannot come up: {exc!r}; retrying in {delay:.0f}s")
            await charger.drop_link()
            if await _stopped_within(stop, delay):
                return False
            delay = min(delay * 2, 30.0)
    return False


async def _run_sessions(charger: OwnSessions[Any], options: FleetOptions, stop: asyncio.Event) -> None:
    connectors = charger.options.connectors
    for number in range(options.sessions):
        session = await charger.start_session(number % connectors + 1)
        if await _stopped_within(stop, options.session_seconds):
            return
        await charger.stop_own_session(session)  # refused by the CSMS, it has ended already
        last = number == options.sessions - 1
        if not last and await _stopped_within(stop, options.pause_seconds):
            return


async def _flaky_link(charger: Charger, options: FleetOptions, stop: asyncio.Event) -> None:
    """Lose the network every `reconnect_every` seconds for `outage_seconds`."""
    while not await _stopped_within(stop, options.reconnect_every):
        try:
            await charger.reconnect(downtime=options.outage_seconds)
        except CONNECT_ERRORS as exc:
            charger.emit(f"reconnect failed: {exc!r}")


async def _shut_down(charger: Charger, failures: list[str]) -> None:
    """Stop what is still charging (a station going down ends every session on it), then close;
    bounded so one stuck station cannot hold up the exit.

    A station caught in a simulated outage reconnects first, so its queued
    transaction messages still reach the CSMS.
    """
    try:
        async with asyncio.timeout(SHUTDOWN_TIMEOUT):
            if charger.connect_count and not charger.online:
                await charger.reconnect()
            await _stop_running_sessions(charger)
    except (TimeoutError, SimulatorError, *CONNECT_ERRORS) as exc:
        failures.append(f"{charger.id}: shutdown: {exc!r}")
    finally:
        await charger.close()


async def _stop_running_sessions(charger: OwnSessions[Any]) -> None:
    for session in charger.active_sessions:
        await charger.stop_own_session(session)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True as soon as the run is told to stop."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False


async def _set_after(stop: asyncio.Event, seconds: float) -> None:
    await asyncio.sleep(seconds)
    stop.set()


def _summarize(chargers: list[Charger], failures: list[str], elapsed: float) -> FleetSummary:
    sessions = [session for charger in chargers for session in charger.completed_sessions]
    calls: Counter[str] = Counter()
    for charger in chargers:
        calls.update(charger.call_outcomes)
    return FleetSummary(
        stations=len(chargers),
        booted=sum(1 for charger in chargers if charger.registration == "Accepted"),
        sessions_completed=len(sessions),
        energy_wh=sum(s.energy_wh for s in sessions),
        reconnects=sum(max(0, charger.connect_count - 1) for charger in chargers),
        calls=calls,
        failures=failures,
        elapsed=elapsed,
    )
