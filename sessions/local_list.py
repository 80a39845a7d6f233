"""The local authorization list: the id tags a station may let charge while it cannot ask us.

Which tokens go on it is the one authorization decision (sessions.authorization); the list goes to
the station through the command port, and the version the station keeps is
recorded on the station once it agrees (asking for it: stations/local_list.py).
"""

from dataclasses import replace

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer, LocalListEntry
from csms.ocpp.values import iso
from sessions.authorization import tokens_that_may_charge
from sessions.models import AuthorizationStatus
from sessions.selectors import id_token_types
from stations.local_list import record_local_list_version


def accepted_entries() -> list[LocalListEntry]:
    """Every id tag that may charge now, as Authorize would answer it (sessions.authorization)."""
    return [
        LocalListEntry(
            id_tag=tag.id_tag,
            id_token_type=tag.id_token_type,
            status=AuthorizationStatus.ACCEPTED.value,
            expires_at=iso(tag.expires_at),
            parent_id_tag=tag.parent.id_tag if tag.parent else None,
            parent_id_token_type=tag.parent.id_token_type if tag.parent else None,
        )
        for tag in tokens_that_may_charge()
    ]


@commands.command
async def send_local_list(
    *, station_id: int, version: int, entries: list[LocalListEntry], full: bool = True, every_token: bool = False
) -> Answer:
    """Send the station its local list; an entry without a status removes its tag (differential
    updates only). An entry's token types left empty are the stored ones. `every_token`: the entries
    are accepted_entries(), of which a station leaves off what its protocol cannot hold."""
    tags = [e.id_tag for e in entries] + [e.parent_id_tag for e in entries if e.parent_id_tag]
    types = await db_async(id_token_types)(id_tags=tags)
    typed = tuple(
        replace(
            entry,
            id_token_type=entry.id_token_type or types[entry.id_tag],
            parent_id_token_type=entry.parent_id_token_type or types.get(entry.parent_id_tag),
        )
        for entry in entries
    )
    command = commands.SendLocalList(version=version, entries=typed, full=full, leave_out_unpresentable=every_token)
    answer = await commands.send(station_id, command)
    await db_async(record_local_list_version)(station_id=station_id, version=version)
    return answer
