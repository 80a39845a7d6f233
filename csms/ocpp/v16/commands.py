"""The port's commands as OCPP 1.6 CALLs: a typed command in, a 1.6 payload out.

1.6 names EVSEs "connectors": EVSE n is connectorId n, and connectorId 0
means the whole station. 1.6 id tags carry no type: a token's 2.0.1 type
(id_token_type) is not sent.
"""

from dataclasses import dataclass

from ocpp.v16 import call

from csms.ocpp import commands as c
from csms.ocpp.schedules import charging_schedule
from csms.ocpp.values import iso

builds = c.Builders("1.6")

_PURPOSE = {"TxDefault": "TxDefaultProfile", "Tx": "TxProfile", "StationMax": "ChargePointMaxProfile"}


def charging_profile(profile: c.ChargingProfile) -> dict:
    """A neutral profile as a 1.6 ChargingProfile, snake_case."""
    return {
        "charging_profile_id": profile.profile_id,
        "transaction_id": profile.transaction_id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": _PURPOSE[profile.purpose],
        "charging_profile_kind": profile.kind,
        "recurrency_kind": profile.recurrency,
        "valid_from": profile.valid_from,
        "valid_to": profile.valid_to,
        "charging_schedule": charging_schedule(profile),
    }


@builds(c.RemoteStart)
def remote_start(command: c.RemoteStart) -> c.Payload:
    profile = charging_profile(command.profile) if command.profile else None
    return call.RemoteStartTransaction(
        id_tag=command.id_tag, connector_id=command.evse_number, charging_profile=profile
    )


@builds(c.RemoteStop)
def remote_stop(command: c.RemoteStop) -> c.Payload:
    return call.RemoteStopTransaction(transaction_id=command.transaction_id)


@builds(c.Reset)
def reset(command: c.Reset) -> c.Payload:
    if command.evse_number:
        raise c.NotExpressible("OCPP 1.6 resets a whole charge point, not one EVSE")
    return call.Reset(type="Hard" if command.hard else "Soft")


@builds(c.UnlockConnector)
def unlock_connector(command: c.UnlockConnector) -> c.Payload:
    return call.UnlockConnector(connector_id=command.evse_number)


@builds(c.ChangeAvailability)
def change_availability(command: c.ChangeAvailability) -> c.Payload:
    """1.6's connector is the EVSE: its (only) connector 1 is the EVSE itself."""
    if command.connector_number not in (None, 1):
        raise c.NotExpressible(f"OCPP 1.6 has one connector per EVSE, not connector {command.connector_number}")
    return call.ChangeAvailability(
        connector_id=command.evse_number, type="Operative" if command.operative else "Inoperative"
    )


@builds(c.GetConfiguration)
def get_configuration(command: c.GetConfiguration) -> c.Payload:
    return call.GetConfiguration(key=list(command.keys) or None)


@builds(c.ChangeConfiguration)
def change_configuration(command: c.ChangeConfiguration) -> c.Payload:
    return call.ChangeConfiguration(key=command.key, value=command.value)


@builds(c.ClearCache)
def clear_cache(command: c.ClearCache) -> c.Payload:
    return call.ClearCache()


@builds(c.TriggerMessage)
def trigger_message(command: c.TriggerMessage) -> c.Payload:
    return call.TriggerMessage(requested_message=command.message, connector_id=command.evse_number)


@builds(c.UpdateFirmware)
def update_firmware(command: c.UpdateFirmware) -> c.Payload:
    return call.UpdateFirmware(
        location=command.location,
        retrieve_date=iso(command.retrieve_at),
        retries=command.retries,
        retry_interval=command.retry_interval,
    )


@builds(c.GetDiagnostics)
def get_diagnostics(command: c.GetDiagnostics) -> c.Payload:
    return call.GetDiagnostics(location=command.location, start_time=iso(command.start), stop_time=iso(command.stop))


@builds(c.DataTransfer)
def data_transfer(command: c.DataTransfer) -> c.Payload:
    return call.DataTransfer(vendor_id=command.vendor_id, message_id=command.message_id, data=command.data)


@builds(c.SetChargingProfile)
def set_charging_profile(command: c.SetChargingProfile) -> c.Payload:
    return call.SetChargingProfile(
        connector_id=command.evse_number, cs_charging_profiles=charging_profile(command.profile)
    )


@builds(c.ClearChargingProfile)
def clear_charging_profile(command: c.ClearChargingProfile) -> c.Payload:
    return call.ClearChargingProfile(
        id=command.profile_id,
        connector_id=command.evse_number,
        charging_profile_purpose=None if command.purpose is None else _PURPOSE.get(command.purpose),
        stack_level=command.stack_level,
    )


@builds(c.GetCompositeSchedule)
def get_composite_schedule(command: c.GetCompositeSchedule) -> c.Payload:
    return call.GetCompositeSchedule(
        connector_id=command.evse_number, duration=command.duration_s, charging_rate_unit=command.rate_unit
    )


@builds(c.ReserveNow)
def reserve_now(command: c.ReserveNow) -> c.Payload:
    return call.ReserveNow(
        connector_id=command.evse_number,
        expiry_date=iso(command.expires_at),
        id_tag=command.id_tag,
        reservation_id=command.reservation_id,
    )


@builds(c.CancelReservation)
def cancel_reservation(command: c.CancelReservation) -> c.Payload:
    return call.CancelReservation(reservation_id=command.reservation_id)


@dataclass
class SendLocalList:
    """SendLocalList.req with its fields in the schema's order (the `ocpp` package's
    dataclass puts updateType second); the action is named after the class."""

    list_version: int
    local_authorization_list: list
    update_type: str


# 1.6's idTag is a CiString20: a longer token (a 2.0.1 or roaming uid holds up to 36) is one a 1.6 charger
# can never present. Asked to, such entries are left off; otherwise the request fails its schema, not sent.
ID_TAG_MAX_LENGTH = 20


@builds(c.SendLocalList)
def send_local_list(command: c.SendLocalList) -> c.Payload:
    entries = [
        entry
        for entry in command.entries
        if not command.leave_out_unpresentable or len(entry.id_tag) <= ID_TAG_MAX_LENGTH
    ]
    return SendLocalList(
        list_version=command.version,
        local_authorization_list=[_local_entry(entry) for entry in entries],
        update_type="Full" if command.full else "Differential",
    )


def _local_entry(entry: c.LocalListEntry) -> dict:
    """AuthorizationData, keys in schema order. 1.6 reads an entry without idTagInfo as a
    removal (differential updates only), so every other entry carries one."""
    if entry.status is None:
        return {"id_tag": entry.id_tag}
    info = {}
    if entry.expires_at:
        info["expiry_date"] = entry.expires_at
    if entry.parent_id_tag:
        info["parent_id_tag"] = entry.parent_id_tag
    info["status"] = entry.status
    return {"id_tag": entry.id_tag, "id_tag_info": info}


@builds(c.GetLocalListVersion)
def get_local_list_version(command: c.GetLocalListVersion) -> c.Payload:
    return call.GetLocalListVersion()


# 1.6 has no device model: its configuration is keys (GetConfiguration/ChangeConfiguration).
BUILDERS = builds.complete(not_supported=frozenset({c.GetVariables, c.SetVariables, c.GetBaseReport}))
