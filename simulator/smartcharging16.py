"""Smart charging on a simulated OCPP 1.6J charger: SetChargingProfile, ClearChargingProfile, GetCompositeSchedule.

The profiles themselves, and the limit they put on the meter, are
`ChargingProfiles`' (profiles.py); this is how the charger answers the
CSMS about them, refusing what a real charger would (a TxProfile without
a transaction, a ChargePointMaxProfile on a connector).
`SmartCharging16` is a mixin of SimulatedCharger.
"""

from __future__ import annotations

from typing import Any

from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import (
    Action,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)

from simulator.base16 import ChargerBase16
from simulator.meter import utc_now


class SmartCharging16(ChargerBase16):
    """Charging profiles as the CSMS sets and reads them (see module docstring)."""

    @on(Action.set_charging_profile)
    def _on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict, **_: Any
    ) -> call_result.SetChargingProfile:
        purpose = cs_charging_profiles["charging_profile_purpose"]
        connector = self.connectors.get(connector_id)
        charging = connector is not None and connector.session is not None
        valid = (
            (connector_id == 0 or connector is not None)
            and (purpose != ChargingProfilePurposeType.charge_point_max_profile or connector_id == 0)
            and (purpose != ChargingProfilePurposeType.tx_profile or charging)
        )
        if not valid:
            return call_result.SetChargingProfile(ChargingProfileStatus.rejected)
        self.charging_profiles.install(connector_id, cs_charging_profiles)
        return call_result.SetChargingProfile(ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    def _on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        removed = self.charging_profiles.clear(id, connector_id, charging_profile_purpose, stack_level)
        status = ClearChargingProfileStatus.accepted if removed else ClearChargingProfileStatus.unknown
        return call_result.ClearChargingProfile(status)

    @on(Action.get_composite_schedule)
    def _on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        """A single-period schedule with the limit in force now (a simplification of the full composite)."""
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(GetCompositeScheduleStatus.rejected)
        unit = charging_rate_unit or ChargingRateUnitType.watts
        limit_w = self._limit_w(connector_id)
        limit = self.charging_profiles.in_unit(self.options.power_w if limit_w is None else limit_w, unit)
        schedule = {
            "charging_rate_unit": unit,
            "duration": duration,
            "start_schedule": utc_now(),
            "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
        }
        return call_result.GetCompositeSchedule(
            GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=utc_now(),
            charging_schedule=schedule,
        )
