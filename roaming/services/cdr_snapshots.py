"""Our CDRs as partners hold them: each sealed record is mapped once, the first time a partner is owed it
(the POST to its token's issuer, or a GET of the CDRs list), and that body is served ever after.

OCPI 2.2.1 mod_cdrs: a CDR carries the Location, EVSE, Tariffs and Token "as they were at the start", and
"cannot be changed or replaced once sent"; so a renamed location or a re-issued token never changes a CDR
a partner already has, and the POSTed CDR is the one GET lists.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from billing.models import ChargeDetailRecord
from roaming.envelope import OcpiJSONEncoder
from roaming.mapping.cdrs import cdr_object
from roaming.models import CdrSnapshot
from roaming.selectors.session_authorisation import session_authorisations


def cdr_bodies(records: Sequence[ChargeDetailRecord]) -> dict[int, dict[str, Any]]:
    """Each record's CDR body by record pk, mapping (and keeping) those never mapped before.

    Select `transaction__id_tag`, `transaction__station__location` and `transaction__connector__evse` on
    the records: a record mapped for the first time reads them."""
    bodies = dict(CdrSnapshot.objects.filter(record__in=[r.pk for r in records]).values_list("record_id", "body"))
    new = [record for record in records if record.pk not in bodies]
    authorised = session_authorisations([record.transaction for record in new]) if new else {}
    for record in new:
        how = authorised[record.transaction_id]
        body = _wire(
            cdr_object(
                record,
                auth_method=how.method,
                reference=how.reference,
                country_code=settings.OCPI_COUNTRY_CODE,
                party_id=settings.OCPI_PARTY_ID,
            )
        )
        # The unique record keeps one body when two first mappings race: the loser serves the winner's.
        bodies[record.pk] = CdrSnapshot.objects.get_or_create(record=record, defaults={"body": body})[0].body
    return bodies


def cdr_body(record: ChargeDetailRecord) -> dict[str, Any]:
    return cdr_bodies([record])[record.pk]


def _wire(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, cls=OcpiJSONEncoder))
