"""The local authorization list: the id tags a station may let charge while it cannot ask us.

Which tokens go on it is decided here, from the stored tokens; the list goes to
the station through the command port, and the version the station keeps is
recorded on the station once it agrees (asking for it: stations/local_list.py).
"""

from dataclasses import replace

from django.db.models import Q
from django.utils import timezone

from csms.db import db_async
from csms.ocpp import commands
from csms.ocpp.commands import Answer, LocalListEntry
from csms.ocpp.values import iso
from sessions.models import AuthorizationStatus, IdTag
from sessions.selectors import id_token_types
from stations.services import record_local_list_version


def accepted_entries() -> list[LocalListEntry]:
    """Every id tag that may charge now (its own and its parent's status Accepted, not expired)."""
    now = timezone.now()
    valid = Q(status=AuthorizationStatus.ACCEPTED) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    parent_valid = Q(parent__isnull=True) | (
        Q(parent__status=AuthorizationStatus.ACCEPTED)
        & (Q(parent__expires_at__isnull=True) | Q(parent__expires_at__gt=now))
    )
    tags = IdTag.objects.filter(valid & parent_valid).select_related("parent").order_by("id_tag")
    return [
        LocalListEntry(
            id_tag=tag.id_tag,
            id_token_type=tag.id_token_type,
            status=AuthorizationStatus.ACCEPTED.value,
            expires_at=iso(tag.expires_at),
            parent_id_tag=tag.parent.id_tag if tag.parent else None,
            parent_id_token_type=tag.parent.id_token_type if tag.parent else None,
        )
        for tag in tags
    ]


@commands.command
async def send_local_list(*, station_id: int, version: int, entries: list[LocalListEntry], full: bool = True) -> Answer:
    """Send the station its local list; an entry without a status removes its tag (differential
    updates only). An entry's token types left empty are the stored ones."""
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
    answer = await commands.send(station_id, commands.SendLocalList(version=version, entries=typed, full=full))
    await db_async(record_local_list_version)(station_id=station_id, version=version)
    return answer
