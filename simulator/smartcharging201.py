"""Smart charging on a simulated OCPP 2.0.1 station: the profiles a CSMS installs and the limits they impose.

The limit arithmetic is the shared 1.6 engine (`profiles.ChargingProfiles`);
`StationProfiles` only translates the 2.0.1 shapes into it (profile `id`,
ChargingStationMaxProfile, a list of schedules, EVSE ids instead of
connector ids) and keeps the profiles as the CSMS sent them, so
GetChargingProfiles can report them back unchanged.  `SmartCharging201` is
the mixin of SimulatedCharger201 that answers the smart-charging calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import (
    Action,
    ChargingLimitSourceEnumType,
    ChargingProfilePurposeEnumType,
    ChargingProfileStatusEnumType,
    ChargingRateUnitEnumType,
    ClearChargingProfileStatusEnumType,
    GenericStatusEnumType,
    GetChargingProfileStatusEnumType,
)

from simulator.base201 import StationBase201
from simulator.meter import utc_now
from simulator.profiles import ChargingProfiles

Purpose = ChargingProfilePurposeEnumType
# The one purpose 2.0.1 renamed; the engine speaks 1.6.
PURPOSE_16 = {Purpose.charging_station_max_profile: "ChargePointMaxProfile"}


def _as_16(profile: dict) -> dict:
    """A 2.0.1 ChargingProfileType (snake_case) in the shape the shared engine reads."""
    purpose = profile["charging_profile_purpose"]
    return {
        "charging_profile_id": profile["id"],
        "stack_level": profile["stack_level"],
        "charging_profile_purpose": PURPOSE_16.get(purpose, purpose),
        "charging_profile_kind": profile["charging_profile_kind"],
        "recurrency_kind": profile.get("recurrency_kind"),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "charging_schedule": profile["charging_schedule"][0],  # the others are for ISO 15118 EVs
    }


class StationProfiles:
    """The installed profiles by id, each with its EVSE (0: the whole station)."""

    def __init__(self, voltage_v: float, phases: int) -> None:
        self.engine = ChargingProfiles(voltage_v, phases)
        self.installed: dict[int, tuple[int, dict]] = {}

    def install(self, evse_id: int, profile: dict) -> None:
        """Add a profile; the same id, or the same purpose and stack level on the EVSE, is replaced."""
        self.engine.install(evse_id, _as_16(profile))
        self.installed[profile["id"]] = (evse_id, profile)
        self._sync()

    def clear(
        self,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove the profiles matching every given criterion; returns how many went."""
        removed = self.engine.clear(profile_id, evse_id, PURPOSE_16.get(purpose, purpose), stack_level)
        self._sync()
        return removed

    def discard_tx_profiles(self, evse_id: int) -> None:
        """TxProfiles end with their transaction."""
        self.clear(evse_id=evse_id, purpose=Purpose.tx_profile)

    def limit_w(self, evse_id: int, tx_started: datetime | None) -> float | None:
        return self.engine.limit_w(evse_id, tx_started)

    def in_unit(self, watts: float, unit: str) -> float:
        return self.engine.in_unit(watts, unit)

    def matching(self, evse_id: int | None, criterion: dict) -> dict[int, list[dict]]:
        """GetChargingProfiles: the profiles per EVSE that meet every criterion given."""
        sources = criterion.get("charging_limit_source")
        if sources and ChargingLimitSourceEnumType.cso not in sources:
            return {}  # every profile here came from the CSMS
        ids = criterion.get("charging_profile_id")
        found: dict[int, list[dict]] = {}
        for where, profile in self.installed.values():
            if (
                (evse_id is None or where == evse_id)
                and (ids is None or profile["id"] in ids)
                and criterion.get("charging_profile_purpose") in (None, profile["charging_profile_purpose"])
                and criterion.get("stack_level") in (None, profile["stack_level"])
            ):
                found.setdefault(where, []).append(profile)
        return found

    def _sync(self) -> None:
        """Keep only what the engine still holds (an install may have displaced others)."""
        self.installed = {pid: entry for pid, entry in self.installed.items() if pid in self.engine.installed}


class SmartCharging201(StationBase201):
    """CSMS-initiated smart-charging calls; mixed into SimulatedCharger201, whose state it uses."""

    def _profile_problem(self, evse_id: int, profile: dict) -> str | None:
        """Why a real station would refuse this SetChargingProfile (a reasonCode), or None."""
        purpose = profile["charging_profile_purpose"]
        evse = self.evses.get(evse_id)
        if evse_id != 0 and evse is None:
            return "UnknownEvse"
        if purpose == Purpose.charging_station_max_profile and evse_id != 0:
            return "InvalidProfile"
        if purpose == Purpose.tx_profile:
            running = evse.running if evse is not None else None
            if running is None:
                return "TxNotFound"
            if profile.get("transaction_id") not in (None, running.transaction_id):
                return "UnknownTxId"
        if profile["stack_level"] > int(self._setting("SmartChargingCtrlr", "ProfileStackLevel")):
            return "InvalidStackLevel"
        periods = int(self._setting("SmartChargingCtrlr", "PeriodsPerSchedule"))
        if any(len(schedule["charging_schedule_period"]) > periods for schedule in profile["charging_schedule"]):
            return "InvalidSchedule"
        return None

    @on(Action.set_charging_profile)
    def _on_set_charging_profile(
        self, evse_id: int, charging_profile: dict, **_: Any
    ) -> call_result.SetChargingProfile:
        problem = self._profile_problem(evse_id, charging_profile)
        if problem is not None:
            return call_result.SetChargingProfile(
                ChargingProfileStatusEnumType.rejected, status_info={"reason_code": problem}
            )
        self.profiles.install(evse_id, charging_profile)
        return call_result.SetChargingProfile(ChargingProfileStatusEnumType.accepted)

    @on(Action.clear_charging_profile)
    def _on_clear_charging_profile(
        self, charging_profile_id: int | None = None, charging_profile_criteria: dict | None = None, **_: Any
    ) -> call_result.ClearChargingProfile:
        criteria = charging_profile_criteria or {}
        removed = self.profiles.clear(
            charging_profile_id,
            criteria.get("evse_id"),
            criteria.get("charging_profile_purpose"),
            criteria.get("stack_level"),
        )
        status = ClearChargingProfileStatusEnumType.accepted if removed else ClearChargingProfileStatusEnumType.unknown
        return call_result.ClearChargingProfile(status)

    @on(Action.get_charging_profiles)
    def _on_get_charging_profiles(
        self, request_id: int, charging_profile: dict, evse_id: int | None = None, **_: Any
    ) -> call_result.GetChargingProfiles:
        found = self.profiles.matching(evse_id, charging_profile)
        if not found:
            return call_result.GetChargingProfiles(GetChargingProfileStatusEnumType.no_profiles)
        self._after_reply(lambda: self._report_charging_profiles(request_id, found))
        return call_result.GetChargingProfiles(GetChargingProfileStatusEnumType.accepted)

    async def _report_charging_profiles(self, request_id: int, found: dict[int, list[dict]]) -> None:
        """One ReportChargingProfiles per EVSE, tbc on all but the last."""
        groups = sorted(found.items())
        for n, (evse_id, profiles) in enumerate(groups):
            await self._notify(
                call.ReportChargingProfiles(
                    request_id=request_id,
                    charging_limit_source=ChargingLimitSourceEnumType.cso,
                    charging_profile=profiles,
                    evse_id=evse_id,
                    tbc=n < len(groups) - 1,
                )
            )

    @on(Action.get_composite_schedule)
    def _on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        """A single-period schedule with the limit in force now (a simplification of the full composite)."""
        if evse_id != 0 and evse_id not in self.evses:
            unknown = {"reason_code": "UnknownEvse"}
            return call_result.GetCompositeSchedule(GenericStatusEnumType.rejected, status_info=unknown)
        unit = charging_rate_unit or ChargingRateUnitEnumType.watts
        limit_w = self._limit_w(evse_id)
        station_w = self.options.power_w * (len(self.evses) if evse_id == 0 else 1)
        limit = self.profiles.in_unit(station_w if limit_w is None else limit_w, unit)
        schedule = {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": utc_now(),
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
        }
        return call_result.GetCompositeSchedule(GenericStatusEnumType.accepted, schedule=schedule)
