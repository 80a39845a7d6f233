"""What can go wrong for a simulated charger, whatever its OCPP version."""

from __future__ import annotations

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI


class SimulatorError(RuntimeError):
    """The simulated charger was asked to do something a real one could not."""


class AuthorizationRejected(SimulatorError):
    """The CSMS refused the id tag, so no session started."""


class LinkDown(ConnectionError):
    """The WebSocket is gone; the message was not (or not surely) delivered."""


# Failures a charger expects from its network and its CSMS; it retries on these.
CONNECT_ERRORS = (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed, LinkDown, OCPPError)
