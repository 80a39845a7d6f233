"""Which commands a station takes before it is Accepted, as each version's spec allows.

A charger that was answered Pending, or that has never booted, refuses every
other request with SecurityError, so we refuse them ourselves, at once, and
say why (StationNotAccepted) instead of sending them.

- OCPP 1.6 §4.2: while Pending the Central System "MAY send request messages
  to retrieve information from the Charge Point or change its configuration";
  RemoteStartTransaction and RemoteStopTransaction are not allowed. Of our
  commands those are GetConfiguration, ChangeConfiguration and TriggerMessage
  (the Charge Point sends what it was triggered to, nothing else).
- OCPP 2.0.1 B02.FR.01: while Pending the CSMS MAY retrieve information (B06
  GetVariables, B07 GetBaseReport) or change the configuration (B05
  SetVariables); B02.FR.02 lets the station send what a TriggerMessage asked
  for; B02.FR.05 has it reject RequestStart/StopTransaction.
- Rejected (1.6 §4.2: "the Central System SHOULD NOT initiate any"), or not
  booted yet: only TriggerMessage(BootNotification), the one way to ask a
  station to register again.

Each command type says which versions let a Pending station take it
(`Command.while_pending`, csms/ocpp/command.py) and whether it asks the station to
register again (`reregisters`).

A station that booted once and reconnects without a new BootNotification keeps
the registration it was given (OCPP-J does not repeat the boot on reconnect).
"""

from csms.ocpp.command import Command

ACCEPTED, PENDING = "Accepted", "Pending"


def refusal(*, command: Command, registration_status: str, booted: bool, ocpp_version: str) -> str | None:
    """Why `command` may not be sent to a station in this state, or None when it may."""
    if command.reregisters:
        return None
    if not booted:
        return "has not booted yet (no BootNotification answered)"
    if registration_status == ACCEPTED:
        return None
    if registration_status == PENDING and ocpp_version in command.while_pending:
        return None
    return f"is {registration_status}, not Accepted"
