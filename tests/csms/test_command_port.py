"""Issue 10 item 3: the command port's typed commands, their builders per OCPP version, the wire."""

from datetime import UTC, datetime

import pytest

from csms.ocpp import commands
from csms.ocpp.commands import Builders, Command, from_wire
from csms.ocpp.outcome import Outcome, failure
from csms.ocpp.v16.commands import BUILDERS as V16
from csms.ocpp.v201.commands import BUILDERS as V201

EVERY_COMMAND = set(Command.by_name.values())
PROFILE = commands.ChargingProfile(
    profile_id=1, stack_level=0, purpose="TxDefault", rate_unit="A", periods=[commands.SchedulePeriod(0, 16.0, 3)]
)
SAMPLES = [
    commands.RemoteStart(id_tag="T", id_token_type="eMAID", evse_number=1, profile=PROFILE),
    commands.UpdateFirmware(location="https://fw", retrieve_at=datetime(2026, 12, 1, 8, tzinfo=UTC), retries=2),
    commands.GetDiagnostics(location="ftp://up", start=None),
    commands.GetVariables(variables=(commands.Variable("OCPPCommCtrlr", "HeartbeatInterval", evse_number=2),)),
    commands.SendLocalList(version=3, entries=(commands.LocalListEntry("T", "Accepted", "ISO14443"),), full=True),
    commands.GetConfiguration(keys=("HeartbeatInterval",)),
    commands.ClearCache(),
]


def test_every_command_type_has_a_builder_or_is_declared_not_supported_in_each_version():
    assert set(V16) == EVERY_COMMAND - {commands.GetVariables, commands.SetVariables, commands.GetBaseReport}
    assert set(V201) == EVERY_COMMAND - {commands.GetConfiguration, commands.ChangeConfiguration}


def test_a_version_missing_a_builder_fails_when_its_module_is_imported():
    builds = Builders("9.9")
    builds(commands.Reset)(lambda command: None)
    with pytest.raises(TypeError, match="no builder for .*'ClearCache'"):
        builds.complete()


def test_a_builder_for_no_command_type_or_twice_for_one_fails_at_once():
    builds = Builders("9.9")
    with pytest.raises(TypeError, match="not a command type"):
        builds("Reset")
    builds(commands.Reset)(lambda command: None)
    with pytest.raises(TypeError, match="two builders for Reset"):
        builds(commands.Reset)(lambda command: None)


@pytest.mark.parametrize("command", SAMPLES, ids=lambda c: type(c).__name__)
def test_a_command_crosses_the_channel_layer_as_itself(command):
    wire = command.to_wire()
    assert from_wire(wire["command"], wire["params"]) == command


def test_a_full_local_list_without_a_status_is_invalid_before_anything_is_sent():
    with pytest.raises(commands.CommandInvalid, match="every entry a status"):
        commands.SendLocalList(version=1, entries=(commands.LocalListEntry("T", None),), full=True)


@pytest.mark.parametrize(
    "reply, error",
    [
        ({"outcome": Outcome.REJECTED, "action": "Reset", "status": "Rejected", "data": {}}, commands.CommandRejected),
        ({"outcome": Outcome.NOT_CONNECTED, "action": "Reset"}, commands.StationNotConnected),
        ({"outcome": Outcome.TIMEOUT, "action": "Reset", "seconds": 5}, commands.CommandTimeout),
        ({"outcome": Outcome.NOT_SUPPORTED, "action": "reset", "version": "1.6"}, commands.CommandNotSupported),
        ({"outcome": Outcome.FAILED, "action": "reset", "description": "bug"}, commands.CommandError),
    ],
)
def test_each_outcome_is_its_typed_failure(reply, error):
    raised = failure("CP-1", reply)
    assert type(raised) is error and raised.outcome == reply["outcome"]
