"""Charging profiles installed on a simulated charger (Smart Charging profile).

Enough of OCPP 1.6 §3.13 to make SetChargingProfile observable: the active
period of each profile becomes a power cap on the connector's meter, so a
CSMS that limits a charger sees Power.Active.Import drop.  Profiles arrive as
the snake_case dicts the `ocpp` library hands to handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ocpp.v16.enums import ChargingProfileKindType, ChargingProfilePurposeType, ChargingRateUnitType, RecurrencyKind

RECURRENCY_SECONDS = {RecurrencyKind.daily: 86_400, RecurrencyKind.weekly: 604_800}


@dataclass
class InstalledProfile:
    connector_id: int
    profile: dict

    @property
    def profile_id(self) -> int:
        return self.profile["charging_profile_id"]

    @property
    def purpose(self) -> str:
        return self.profile["charging_profile_purpose"]

    @property
    def stack_level(self) -> int:
        return self.profile["stack_level"]

    @property
    def slot(self) -> tuple[int, str, int]:
        """OCPP lets only one profile hold a connector, purpose and stack level."""
        return self.connector_id, self.purpose, self.stack_level


def _parse_time(value: str | None) -> datetime | None:
    """OCPP timestamps; one without an offset is taken as UTC so comparisons never mix naive and aware."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ChargingProfiles:
    """The profiles of one charger and the power limit they impose right now."""

    def __init__(self, voltage_v: float, phases: int) -> None:
        self.voltage_v = voltage_v
        self.phases = phases
        self.installed: dict[int, InstalledProfile] = {}

    def install(self, connector_id: int, profile: dict) -> None:
        """Add a profile; one with the same id, or same purpose and stack level on the connector, is replaced."""
        new = InstalledProfile(connector_id, profile)
        self.installed = {
            pid: old for pid, old in self.installed.items() if pid != new.profile_id and old.slot != new.slot
        }
        self.installed[new.profile_id] = new

    def clear(
        self,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove the profiles matching every given criterion; returns how many went."""
        doomed = [
            pid
            for pid, p in self.installed.items()
            if (profile_id is None or pid == profile_id)
            and (connector_id is None or p.connector_id == connector_id)
            and (purpose is None or p.purpose == purpose)
            and (stack_level is None or p.stack_level == stack_level)
        ]
        for pid in doomed:
            del self.installed[pid]
        return len(doomed)

    def discard_tx_profiles(self, connector_id: int) -> None:
        """TxProfiles live only as long as their transaction (OCPP 1.6 §3.13.4)."""
        self.clear(connector_id=connector_id, purpose=ChargingProfilePurposeType.tx_profile)

    def limit_w(self, connector_id: int, tx_started: datetime | None) -> float | None:
        """The power cap on a connector now: TxProfile beats TxDefaultProfile, ChargePointMaxProfile caps both."""
        if not self.installed:
            return None
        now = datetime.now(UTC)
        by_purpose = {
            purpose: self._top_limit(connector_id, purpose, now, tx_started) for purpose in ChargingProfilePurposeType
        }
        tx_limit = by_purpose[ChargingProfilePurposeType.tx_profile]
        if tx_limit is None:
            tx_limit = by_purpose[ChargingProfilePurposeType.tx_default_profile]
        station_limit = by_purpose[ChargingProfilePurposeType.charge_point_max_profile]
        return min((limit for limit in (tx_limit, station_limit) if limit is not None), default=None)

    def _top_limit(self, connector_id: int, purpose: str, now: datetime, tx_started: datetime | None) -> float | None:
        """The limit of the highest-stack-level profile of this purpose that is active now."""
        candidates = sorted(
            (p for p in self.installed.values() if p.purpose == purpose and p.connector_id in (0, connector_id)),
            key=lambda p: p.stack_level,
            reverse=True,
        )
        for candidate in candidates:
            limit = self._active_limit_w(candidate.profile, now, tx_started)
            if limit is not None:
                return limit
        return None

    def _active_limit_w(self, profile: dict, now: datetime, tx_started: datetime | None) -> float | None:
        valid_from, valid_to = _parse_time(profile.get("valid_from")), _parse_time(profile.get("valid_to"))
        if (valid_from and now < valid_from) or (valid_to and now >= valid_to):
            return None
        schedule = profile["charging_schedule"]
        elapsed = self._elapsed_seconds(profile, schedule, now, tx_started)
        duration = schedule.get("duration")
        if elapsed < 0 or (duration is not None and elapsed >= duration):
            return None
        started = [p for p in schedule["charging_schedule_period"] if p["start_period"] <= elapsed]
        if not started:
            return None
        period = max(started, key=lambda p: p["start_period"])
        return self._to_watts(period["limit"], schedule["charging_rate_unit"], period.get("number_phases"))

    @staticmethod
    def _elapsed_seconds(profile: dict, schedule: dict, now: datetime, tx_started: datetime | None) -> float:
        """Seconds into the schedule; relative schedules count from the transaction start."""
        start = _parse_time(schedule.get("start_schedule"))
        if profile["charging_profile_kind"] == ChargingProfileKindType.relative or start is None:
            start = tx_started or now
        elapsed = (now - start).total_seconds()
        if profile["charging_profile_kind"] == ChargingProfileKindType.recurring:
            elapsed %= RECURRENCY_SECONDS.get(profile.get("recurrency_kind"), RECURRENCY_SECONDS[RecurrencyKind.daily])
        return elapsed

    def _to_watts(self, limit: float, unit: str, number_phases: int | None) -> float:
        if unit == ChargingRateUnitType.watts:
            return float(limit)
        return float(limit) * self.voltage_v * (number_phases or self.phases)

    def in_unit(self, watts: float, unit: str) -> float:
        """Express a power in the unit a GetCompositeSchedule asked for."""
        return watts if unit == ChargingRateUnitType.watts else watts / (self.voltage_v * self.phases)
