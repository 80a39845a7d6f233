"""Lifecycle events of charging sessions, for whatever hangs on them (billing, the live layer, roaming).

Published through csms.lifecycle: subscribers, registered in their app's
AppConfig.ready(), hear of each once the change that caused it commits.
Each event names what changed, by id; a subscriber reads what it needs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TransactionStarted:
    transaction_id: int
    station_id: int
    connector_id: int


@dataclass(frozen=True)
class MeterReadingsRecorded:
    """New readings of a running (or, late, of a completed) transaction were stored."""

    transaction_id: int
    station_id: int


@dataclass(frozen=True)
class TransactionStopped:
    """Published once per transaction: by the charger's stop, or by the CSMS ending it without one."""

    transaction_id: int
    station_id: int


@dataclass(frozen=True)
class TransactionCostChanged:
    """The stored cost of a transaction changed (sessions.costs); `final` once it is the sealed one."""

    transaction_id: int
    station_id: int
    final: bool


@dataclass(frozen=True)
class DriverSessionChanged:
    """A driver session was opened or moved to `state` (a DriverSession.State)."""

    session_id: int
    state: str


@dataclass(frozen=True)
class ChargingNeedsChanged:
    """What a running transaction needs changed: the car reported it (NotifyEVChargingNeeds), or the
    driver set or changed their departure time or energy. Read the needs with
    sessions.selectors.charging_needs; a driver's word given while pending is told once the charger starts."""

    transaction_id: int
    station_id: int
    source: str  # sessions.charging_needs.Source
