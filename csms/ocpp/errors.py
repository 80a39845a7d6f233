"""OCPP-J CALLERROR codes, by what went wrong, spelled as each version's spec spells them.

OCPP 1.6 writes "FormationViolation" and "OccurenceConstraintViolation";
2.0.1 writes "FormatViolation" and "OccurrenceConstraintViolation" and adds
RpcFrameworkError and MessageTypeNotSupported. Chargers and test suites
match these strings exactly.
"""

from enum import Enum


class Fault(Enum):
    FORMAT = "format"  # payload or frame is not syntactically valid
    RPC_FRAMEWORK = "rpc"  # not a valid RPC frame (wrong element count, types)
    MESSAGE_TYPE = "message_type"  # unknown MessageTypeId
    NOT_IMPLEMENTED = "not_implemented"  # action not known
    NOT_SUPPORTED = "not_supported"  # action known, not supported here
    OCCURRENCE = "occurrence"  # required field missing, too many items
    PROPERTY = "property"  # a field holds an invalid value
    TYPE = "type"  # a field has the wrong data type
    PROTOCOL = "protocol"
    SECURITY = "security"
    INTERNAL = "internal"
    GENERIC = "generic"


_V16 = {
    Fault.FORMAT: "FormationViolation",
    Fault.RPC_FRAMEWORK: "FormationViolation",
    Fault.MESSAGE_TYPE: "FormationViolation",
    Fault.OCCURRENCE: "OccurenceConstraintViolation",
}
_V201 = {
    Fault.FORMAT: "FormatViolation",
    Fault.RPC_FRAMEWORK: "RpcFrameworkError",
    Fault.MESSAGE_TYPE: "MessageTypeNotSupported",
    Fault.OCCURRENCE: "OccurrenceConstraintViolation",
}
_COMMON = {
    Fault.NOT_IMPLEMENTED: "NotImplemented",
    Fault.NOT_SUPPORTED: "NotSupported",
    Fault.PROPERTY: "PropertyConstraintViolation",
    Fault.TYPE: "TypeConstraintViolation",
    Fault.PROTOCOL: "ProtocolError",
    Fault.SECURITY: "SecurityError",
    Fault.INTERNAL: "InternalError",
    Fault.GENERIC: "GenericError",
}


def error_code(fault: Fault, ocpp_version: str) -> str:
    specific = _V16 if ocpp_version == "1.6" else _V201
    return specific.get(fault) or _COMMON[fault]


class CallRefused(Exception):
    """A CALL we answer with a CALLERROR."""

    def __init__(self, fault: Fault, description: str, details: dict | None = None):
        super().__init__(description)
        self.fault = fault
        self.description = description
        self.details = details or {}
