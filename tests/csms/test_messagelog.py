"""The message log's batches: one station's unstorable frame never costs another station's frames."""

import logging

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp.messagelog import MessageLog
from csms.ocpp.models import OcppMessage

pytestmark = pytest.mark.django_db(transaction=True)

# What the fuzz sent that a database refuses: (text, message type, unique id, action)
POISON = [
    pytest.param('[2,"raw-nul","Heartbeat",{"x":"a\x00b"}]', 2, "raw-nul", "", id="raw-nul"),
    pytest.param('[2,"\\u0000","Heartbeat",{}]', 2, "\x00", "Heartbeat", id="escaped-nul-id"),
    pytest.param('[2,"\\ud800","He\\u0000at",{}]', 2, "\ud800", "He\x00at", id="surrogate-id-nul-action"),
    pytest.param('[-1,"negative","Heartbeat",{}]', -1, "negative", "", id="message-type-below-0"),
    pytest.param('[40000,"huge-type","Heartbeat",{}]', 40000, "huge-type", "", id="message-type-above-32767"),
    pytest.param('[2,"' + "i" * 5000 + '","Heartbeat",{}]', 2, "i" * 5000, "H" * 500, id="huge-unique-id-and-action"),
]


async def stored(charge_point_id: str) -> list[OcppMessage]:
    return await sync_to_async(list)(OcppMessage.objects.filter(charge_point_id=charge_point_id).order_by("id"))


async def flushed(log: MessageLog) -> None:
    await log.flush()
    log._flusher.cancel()


def record_80_frames(log: MessageLog, charge_point_id: str) -> None:
    for n in range(80):
        log.record(
            charge_point_id=charge_point_id,
            direction="in",
            text=f'[2,"b-{n}","Heartbeat",{{}}]',
            message_type=2,
            action="Heartbeat",
            unique_id=f"b-{n}",
        )


@pytest.mark.parametrize("text, message_type, unique_id, action", POISON)
async def test_a_poisoned_frame_is_stored_safely_with_the_other_stations_frames(text, message_type, unique_id, action):
    log = MessageLog()
    log.record(
        charge_point_id="CP-A",
        direction="in",
        text=text,
        message_type=message_type,
        action=action,
        unique_id=unique_id,
        error="Frame is not valid JSON \x00",
    )
    record_80_frames(log, "CP-B")
    await flushed(log)

    assert [row.unique_id for row in await stored("CP-B")] == [f"b-{n}" for n in range(80)]
    [row] = await stored("CP-A")
    assert "\x00" not in row.payload + row.unique_id + row.action + row.error
    assert row.payload == text.replace("\x00", "\u2400")  # the frame as sent, NUL visibly marked
    assert row.message_type == (message_type if 0 <= message_type <= 32767 else None)  # the text keeps it
    assert row.unique_id == unique_id.replace("\x00", "\u2400").replace("\ud800", "\ufffd")[:64]
    assert len(row.action) <= 64 and row.error == "Frame is not valid JSON \u2400"


async def test_a_row_the_database_still_refuses_costs_only_itself_and_is_logged(caplog):
    log = MessageLog()
    record_80_frames(log, "CP-B")
    # A row that bypassed record()'s care: the column's check (message type >= 0) refuses it.
    log._buffer.insert(
        40,
        OcppMessage(
            charge_point_id="CP-A",
            direction="in",
            message_type=-1,
            payload="[-1]",
            created_at=log._buffer[0].created_at,
        ),
    )
    with caplog.at_level(logging.ERROR, logger="csms.ocpp.messagelog"):
        await flushed(log)

    assert len(await stored("CP-B")) == 80
    assert await stored("CP-A") == []
    [lost] = [r for r in caplog.records if r.name == "csms.ocpp.messagelog"]
    assert "could not write the OCPP log row of station CP-A" in lost.getMessage()
