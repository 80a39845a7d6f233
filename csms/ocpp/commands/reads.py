"""What some answers teach, read into plain values (a command's `read`, `Answer.result`).

The port records none of it: the domain service that asked keeps what it needs.
"""

from dataclasses import dataclass

from csms.ocpp.outcome import AGREED


@dataclass(frozen=True)
class ConfigurationValue:
    key: str
    value: str | None
    readonly: bool


@dataclass(frozen=True)
class ConfigurationRead:
    keys: tuple[ConfigurationValue, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class VariableResult:
    """A station's word on one variable it was asked to read or set: its status, and the value read."""

    component: str
    variable: str
    status: str
    value: str | None = None

    @property
    def agreed(self) -> bool:
        return self.status in AGREED
