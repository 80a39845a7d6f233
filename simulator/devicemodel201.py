"""The device model of a simulated OCPP 2.0.1 station: components, variables, and their attributes.

2.0.1 replaced 1.6's flat configuration keys with variables that belong to
components (controllers such as OCPPCommCtrlr, physical parts such as an
EVSE).  A CSMS reads them with GetVariables or reports (GetBaseReport →
NotifyReport) and writes them with SetVariables, so this small model holds
the variables a CSMS commonly touches, knows which are read-only and what
values each accepts.  Only the Actual attribute is kept.  Live values
(AvailabilityState, list sizes) are read from the station on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ocpp.v201.enums import (
    AttributeEnumType,
    DataEnumType,
    GetVariableStatusEnumType,
    MutabilityEnumType,
    ReportBaseEnumType,
    SetVariableStatusEnumType,
)

from simulator.meter import SUPPORTED_MEASURANDS

RO, RW, WO = MutabilityEnumType.read_only, MutabilityEnumType.read_write, MutabilityEnumType.write_only
ENERGY = "Energy.Active.Import.Register"
MEASURANDS = ",".join(sorted(SUPPORTED_MEASURANDS))  # what the shared Meter can sample
# (component name, component instance, evse id, connector id, variable name, variable instance)
Key = tuple[str, str | None, int | None, int | None, str, str | None]


@dataclass
class Variable:
    component: str
    name: str
    value: str = ""
    mutability: str = RW
    data_type: str = DataEnumType.string
    unit: str | None = None
    values_list: str | None = None  # the choices of an OptionList / MemberList / SequenceList
    component_instance: str | None = None
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    read: Callable[[], str] | None = None  # a live value, e.g. an AvailabilityState

    @property
    def key(self) -> Key:
        return (self.component, self.component_instance, self.evse_id, self.connector_id, self.name, self.instance)

    @property
    def actual(self) -> str:
        return self.read() if self.read is not None else self.value

    def accepts(self, value: str) -> bool:
        """Would a real station store this value? (SetVariables answers Rejected otherwise.)"""
        if self.data_type == DataEnumType.integer:
            return value.isdigit()
        if self.data_type == DataEnumType.decimal:
            try:
                return float(value) >= 0
            except ValueError:
                return False
        if self.data_type == DataEnumType.boolean:
            return value.lower() in ("true", "false")
        choices = self.values_list.split(",") if self.values_list is not None else []
        if self.data_type == DataEnumType.option_list:
            return value in choices
        if self.data_type in (DataEnumType.member_list, DataEnumType.sequence_list):
            return all(item.strip() in choices for item in value.split(","))
        return len(value) <= 1000

    def component_dict(self) -> dict:
        evse = None if self.evse_id is None else {"id": self.evse_id, "connector_id": self.connector_id}
        return {"name": self.component, "instance": self.component_instance, "evse": evse}

    def variable_dict(self) -> dict:
        return {"name": self.name, "instance": self.instance}

    def report_data(self) -> dict:
        """One ReportDataType of NotifyReport; a write-only value (a password) is never disclosed."""
        attribute = {
            "type": AttributeEnumType.actual,
            "value": None if self.mutability == WO else self.actual,
            "mutability": self.mutability,
            "persistent": True,
            "constant": self.mutability == RO and self.read is None,
        }
        characteristics = {
            "data_type": self.data_type,
            "supports_monitoring": False,
            "unit": self.unit,
            "values_list": self.values_list,
        }
        return {
            "component": self.component_dict(),
            "variable": self.variable_dict(),
            "variable_attribute": [attribute],
            "variable_characteristics": characteristics,
        }


def _request_key(component: dict, variable: dict) -> Key:
    """The key of a component/variable pair as a CSMS sends it (snake_case dicts)."""
    evse = component.get("evse") or {}
    return (
        component["name"],
        component.get("instance"),
        evse.get("id"),
        evse.get("connector_id"),
        variable["name"],
        variable.get("instance"),
    )


class DeviceModel:
    """The station's variables by key, answering GetVariables, SetVariables and reports."""

    def __init__(self, variables: Iterable[Variable]) -> None:
        self.variables: dict[Key, Variable] = {v.key: v for v in variables}

    def find(self, component: str, name: str, instance: str | None = None, *, evse_id: int | None = None) -> Variable:
        """The charger's own lookups; a missing variable is a bug in the simulator, hence KeyError."""
        connector_id = None if evse_id is None else 1
        return self.variables[(component, None, evse_id, connector_id, name, instance)]

    def value(self, component: str, name: str, instance: str | None = None) -> str:
        return self.find(component, name, instance).actual

    def _lookup(self, component: dict, variable: dict) -> tuple[Variable | None, str | None]:
        """The variable, or the UnknownComponent / UnknownVariable status."""
        key = _request_key(component, variable)
        found = self.variables.get(key)
        if found is not None:
            return found, None
        if any(k[:4] == key[:4] for k in self.variables):
            return None, GetVariableStatusEnumType.unknown_variable
        return None, GetVariableStatusEnumType.unknown_component

    def get(self, component: dict, variable: dict, attribute_type: str | None = None) -> dict:
        """One GetVariableResultType."""
        result = {"component": component, "variable": variable, "attribute_type": attribute_type}
        found, problem = self._lookup(component, variable)
        if found is None:
            return {**result, "attribute_status": problem}
        if attribute_type not in (None, AttributeEnumType.actual):
            return {**result, "attribute_status": GetVariableStatusEnumType.not_supported_attribute_type}
        if found.mutability == WO:
            return {
                **result,
                "attribute_status": GetVariableStatusEnumType.rejected,
                "attribute_status_info": {"reason_code": "WriteOnly"},
            }
        return {**result, "attribute_status": GetVariableStatusEnumType.accepted, "attribute_value": found.actual}

    def set(
        self, component: dict, variable: dict, value: str, attribute_type: str | None = None
    ) -> tuple[dict, Variable | None]:
        """One SetVariableResultType, and the variable when its value changed."""
        result = {"component": component, "variable": variable, "attribute_type": attribute_type}
        found, problem = self._lookup(component, variable)
        if found is None:
            return {**result, "attribute_status": problem}, None
        if attribute_type not in (None, AttributeEnumType.actual):
            return {**result, "attribute_status": SetVariableStatusEnumType.not_supported_attribute_type}, None
        rejected = {**result, "attribute_status": SetVariableStatusEnumType.rejected}
        if found.mutability == RO:
            return {**rejected, "attribute_status_info": {"reason_code": "ReadOnly"}}, None
        if not found.accepts(value):
            return {**rejected, "attribute_status_info": {"reason_code": "InvalidValue"}}, None
        found.value = value
        return {**result, "attribute_status": SetVariableStatusEnumType.accepted}, found

    def base_report(self, report_base: str) -> list[Variable]:
        """What GetBaseReport covers: everything, the writable settings, or the availability summary."""
        if report_base == ReportBaseEnumType.configuration_inventory:
            return [v for v in self.variables.values() if v.mutability != RO]
        if report_base == ReportBaseEnumType.summary_inventory:
            return [v for v in self.variables.values() if v.name == "AvailabilityState"]
        return list(self.variables.values())

    def select(self, component_variables: list[dict] | None) -> list[Variable]:
        """What GetReport covers: the listed components (all their variables, or the one named)."""
        if not component_variables:
            return list(self.variables.values())
        chosen: dict[Key, Variable] = {}
        for wanted in component_variables:
            component, variable = wanted["component"], wanted.get("variable")
            for key, found in self.variables.items():
                probe = _request_key(component, variable or {"name": found.name, "instance": found.instance})
                if key == probe:
                    chosen[key] = found
        return list(chosen.values())


def _evse_variables(evse_id: int, connector_type: str, power_w: float, state: Callable[[int], str]) -> list[Variable]:
    states = "Available,Occupied,Reserved,Unavailable,Faulted"
    return [
        Variable(
            "EVSE",
            "AvailabilityState",
            mutability=RO,
            data_type=DataEnumType.option_list,
            values_list=states,
            evse_id=evse_id,
            read=lambda: state(evse_id),
        ),
        Variable("EVSE", "Power", f"{power_w:.0f}", RO, DataEnumType.decimal, unit="W", evse_id=evse_id),
        Variable("Connector", "ConnectorType", connector_type, RO, evse_id=evse_id, connector_id=1),
        Variable(
            "Connector",
            "AvailabilityState",
            mutability=RO,
            data_type=DataEnumType.option_list,
            values_list=states,
            evse_id=evse_id,
            connector_id=1,
            read=lambda: state(evse_id),
        ),
    ]


def default_device_model(
    *,
    model: str,
    vendor: str,
    phases: int,
    evses: int,
    power_w: float,
    connector_type: str,
    measurands: Iterable[str],
    tx_updated_interval: str,
    message_timeout: str,
    secured: bool,
    station_state: Callable[[], str],
    evse_state: Callable[[int], str],
    local_list_size: Callable[[], int],
) -> DeviceModel:
    """The variables of a small AC station, with the values a fresh one ships with."""
    b, i, ml = DataEnumType.boolean, DataEnumType.integer, DataEnumType.member_list
    mv = {"data_type": ml, "values_list": MEASURANDS}
    states = "Available,Occupied,Reserved,Unavailable,Faulted"
    tx_points = "Authorized,EVConnected,PowerPathClosed"
    variables = [
        Variable("ChargingStation", "Model", model, RO),
        Variable("ChargingStation", "VendorName", vendor, RO),
        Variable("ChargingStation", "SupplyPhases", str(phases), RO, i),
        Variable(
            "ChargingStation",
            "AvailabilityState",
            mutability=RO,
            data_type=DataEnumType.option_list,
            values_list=states,
            read=station_state,
        ),
        Variable("OCPPCommCtrlr", "HeartbeatInterval", "300", RW, i, unit="s"),
        Variable("OCPPCommCtrlr", "MessageTimeout", message_timeout, RW, i, unit="s", instance="Default"),
        Variable("OCPPCommCtrlr", "MessageAttempts", "3", RW, i, instance="TransactionEvent"),
        Variable("OCPPCommCtrlr", "MessageAttemptInterval", "10", RW, i, unit="s", instance="TransactionEvent"),
        Variable("OCPPCommCtrlr", "OfflineThreshold", "60", RW, i, unit="s"),
        Variable("OCPPCommCtrlr", "ResetRetries", "2", RW, i),
        Variable("SampledDataCtrlr", "Enabled", "true", RW, b),
        Variable("SampledDataCtrlr", "TxStartedMeasurands", ENERGY, RW, **mv),
        Variable("SampledDataCtrlr", "TxUpdatedMeasurands", ",".join(measurands), RW, **mv),
        Variable("SampledDataCtrlr", "TxUpdatedInterval", tx_updated_interval, RW, i, unit="s"),
        Variable("SampledDataCtrlr", "TxEndedMeasurands", ENERGY, RW, **mv),
        Variable("AlignedDataCtrlr", "Enabled", "true", RW, b),
        Variable("AlignedDataCtrlr", "Measurands", ENERGY, RW, **mv),
        Variable("AlignedDataCtrlr", "Interval", "0", RW, i, unit="s"),
        Variable("AuthCtrlr", "Enabled", "true", RW, b),
        Variable("AuthCtrlr", "AuthorizeRemoteStart", "false", RW, b),
        Variable("AuthCtrlr", "LocalAuthorizeOffline", "true", RW, b),
        Variable("AuthCtrlr", "LocalPreAuthorize", "false", RW, b),
        Variable("AuthCtrlr", "OfflineTxForUnknownIdEnabled", "true", RW, b),
        Variable("AuthCacheCtrlr", "Enabled", "true", RW, b),
        Variable("LocalAuthListCtrlr", "Enabled", "true", RW, b),
        Variable("LocalAuthListCtrlr", "Entries", mutability=RO, data_type=i, read=lambda: str(local_list_size())),
        Variable("LocalAuthListCtrlr", "ItemsPerMessage", "100", RO, i),
        Variable("TxCtrlr", "TxStartPoint", "PowerPathClosed", RW, ml, values_list=tx_points),
        Variable("TxCtrlr", "TxStopPoint", "PowerPathClosed", RW, ml, values_list=tx_points),
        Variable("TxCtrlr", "StopTxOnInvalidId", "true", RW, b),
        Variable("TxCtrlr", "EVConnectionTimeOut", "60", RW, i, unit="s"),
        Variable("ReservationCtrlr", "Enabled", "true", RW, b),
        Variable("ReservationCtrlr", "NonEvseSpecific", "true", RO, b),
        Variable("SmartChargingCtrlr", "Enabled", "true", RW, b),
        Variable("SmartChargingCtrlr", "RateUnit", "A,W", RO, ml, values_list="A,W"),
        Variable("SmartChargingCtrlr", "ProfileStackLevel", "10", RO, i),
        Variable("SmartChargingCtrlr", "PeriodsPerSchedule", "24", RO, i),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", RO, i, instance="GetReport"),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "50", RO, i, instance="GetVariables"),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "50", RO, i, instance="SetVariables"),
        Variable("SecurityCtrlr", "SecurityProfile", "1" if secured else "0", RO, i),
        Variable("SecurityCtrlr", "BasicAuthPassword", "", WO),  # 2.0.1 has no passwordString data type
    ]
    for evse_id in range(1, evses + 1):
        variables += _evse_variables(evse_id, connector_type, power_w, evse_state)
    return DeviceModel(variables)


def apply_overrides(device_model: DeviceModel, overrides: dict[str, str]) -> None:
    """ChargerOptions.config_overrides: "Component.Variable" or "Component.Variable[instance]" → value.

    An unknown key becomes a writable string variable, as a vendor-specific one would be.
    """
    for key, value in overrides.items():
        component, _, rest = key.partition(".")
        name, _, bracketed = rest.partition("[")
        instance = bracketed.rstrip("]") or None
        found = device_model.variables.get((component, None, None, None, name, instance))
        if found is None:
            found = Variable(component, name, instance=instance)
            device_model.variables[found.key] = found
        found.value = value
