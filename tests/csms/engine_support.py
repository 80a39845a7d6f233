"""Driving a version's protocol engine in-process: frames in, the frames a charger would receive out."""

import json

from csms.ocpp.messagelog import message_log
from csms.ocpp.v16.central_system import CentralSystem16
from csms.ocpp.v201.central_system import CentralSystem201

ENGINES = {"1.6": CentralSystem16, "2.0.1": CentralSystem201}


class Wire:
    """The socket side of an engine: keeps what the engine sends."""

    def __init__(self):
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)


def engine_for(station, version: str, *, lenient: bool = False):
    wire = Wire()
    engine = ENGINES[version](
        charge_point_id=station.charge_point_id,
        station_id=station.pk,
        lenient=lenient,
        registration_status="Accepted",
        connection=wire,
    )
    return engine, wire


async def exchange(engine, wire, text: str) -> list:
    """Send one CALL through the engine's inbound path; the frame the charger receives."""
    await engine.receive_frame(text)
    frame = engine._calls.get_nowait()
    await engine._answer(frame)
    await message_log.flush()
    return json.loads(wire.sent.pop())
