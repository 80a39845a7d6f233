"""The push queue: what we owe each partner's receivers, and sending it in order until the partner takes it.

Enqueueing snapshots the object as it is now, once per registered partner with a RECEIVER for the module.
Sending is one queue per partner, strictly in creation order: the first push the partner cannot take
(`PartnerUnavailable`: down, timing out, not 2xx) stops the queue, backs off, and the whole queue resumes
from it later. We chose one queue per partner over one per object because a location's PUT and its EVSEs'
PATCHes are different objects that must still arrive in order (a PATCH of an EVSE the partner never got
by PUT is refused), and a partner that is down refuses every object alike. A push the partner answers
with an error envelope (2xxx, 3xxx) is a fault no retry mends: it is kept as failed for the operators,
and the queue goes on. After OCPI_PUSH_MAX_ATTEMPTS the head is given up (failed) so one bad push does
not hold the partner's queue for ever.

Collapse: a pending PATCH is superseded, not sent, when a later pending PATCH of the same object carries
every field it does; a pending PUT, when a later pending PUT of the same object follows with no push of a
part of that object between them. The later one leaves the partner in the same state, and still goes out
after everything queued between them. A POST (a CDR) is never collapsed. A push with no path goes to the
endpoint itself (OCPI POSTs a CDR there).
"""

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from roaming import client
from roaming.envelope import OcpiJSONEncoder
from roaming.mapping.locations import evse_object, location_object
from roaming.mapping.timestamps import ocpi_datetime
from roaming.models import Partner, Push
from roaming.parties import party_pair
from roaming.secrets import decrypt
from roaming.selectors.publishing import partners_seeing, published_location_ids
from roaming.selectors.tariffs import connector_tariff_ids
from stations.models import ChargingStation, Evse, Location, RegistrationStatus

LOCATIONS = "locations"
RECEIVER = "RECEIVER"


def receivers(*, module: str) -> list[Partner]:
    """The registered partners that take pushes of `module`."""
    partners = Partner.objects.filter(status=Partner.Status.REGISTERED).exclude(their_token_encrypted="")
    return [partner for partner in partners if partner.endpoint(module, RECEIVER)]


def enqueue(
    *,
    module: str,
    object_key: str,
    method: str,
    path: str,
    body: dict[str, Any],
    partners: list[Partner],
    to_party: str = "",
) -> list[int]:
    """One pending push per partner; the ids of the partners to wake. The body is kept as it goes on the
    wire: Decimals become JSON numbers by OCPI's encoder (the JSON column and the client take no Decimal).
    `to_party` ("CC*PID"): the party behind the partner it is for (a hub routes it by OCPI-to-*)."""
    body = json.loads(json.dumps(body, cls=OcpiJSONEncoder))
    now = timezone.now()
    Push.objects.bulk_create(
        Push(
            partner=partner,
            module=module,
            object_key=object_key,
            method=method,
            path=path,
            body=body,
            to_party=to_party,
            created_at=now,
            next_attempt_at=now,
        )
        for partner in partners
    )
    return [partner.pk for partner in partners]


def _party() -> dict[str, str]:
    return {"country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}


def _owner_path(*ids: object) -> str:
    return "/".join([settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID, *(str(i) for i in ids)])


def _roamed_evses(*, station_id: int, evse_number: int | None = None) -> list[Evse]:
    """The station's EVSEs partners see: none while it is not accepted or has no location."""
    evses = (
        Evse.objects.filter(
            station_id=station_id,
            station__registration_status=RegistrationStatus.ACCEPTED,
            station__location__isnull=False,
        )
        .select_related("station")
        .prefetch_related("connectors__evse__station")
        .order_by("number")
    )
    if evse_number is not None:
        evses = evses.filter(number=evse_number)
    return list(evses)


def push_evse_status(*, station_id: int, evse_number: int | None = None) -> list[int]:
    """PATCH each partner's copy of the EVSE(s) with their OCPI status now (all the station's when no number)."""
    partners = receivers(module=LOCATIONS)
    if not partners:
        return []
    woken: set[int] = set()
    for evse in _roamed_evses(station_id=station_id, evse_number=evse_number):
        data = evse_object(evse, **_party())
        location_id = evse.station.location_id
        seeing = partners_seeing(location_id=location_id, partners=partners)
        if not seeing:
            continue
        woken.update(
            enqueue(
                module=LOCATIONS,
                object_key=f"{location_id}/{evse.pk}",
                method=Push.Method.PATCH,
                path=_owner_path(location_id, evse.pk),
                body={"status": data["status"], "last_updated": data["last_updated"]},
                partners=seeing,
            )
        )
    return sorted(woken)


def _tariff_ids(location: Location) -> dict[int, list[str]]:
    """What each of the location's connectors charges, as the Locations sender's GETs show it."""
    return connector_tariff_ids(
        connector_ids=[c.pk for s in location.stations.all() for e in s.evses.all() for c in e.connectors.all()]
    )


def push_location(*, location_id: int, partners: list[Partner] | None = None) -> list[int]:
    """PUT the whole location: for a partner that may not know it, or know an older set of its EVSEs; only
    to the partners it is published to."""
    partners = partners_seeing(
        location_id=location_id, partners=receivers(module=LOCATIONS) if partners is None else partners
    )
    location = Location.objects.prefetch_related("stations__evses__connectors").filter(pk=location_id).first()
    if location is None or not partners:
        return []
    return enqueue(
        module=LOCATIONS,
        object_key=str(location.pk),
        method=Push.Method.PUT,
        path=_owner_path(location.pk),
        body=location_object(location, tariff_ids=_tariff_ids(location), **_party()),
        partners=partners,
    )


def push_station_location(*, station_id: int) -> list[int]:
    location_id = ChargingStation.objects.filter(pk=station_id).values_list("location_id", flat=True).first()
    return push_location(location_id=location_id) if location_id else []


def push_all_locations(*, partner: Partner) -> list[int]:
    """A partner that just registered gets every location published to it, before any PATCH of them."""
    return _push_locations(partner=partner, location_ids=published_location_ids(partner))


def _push_locations(*, partner: Partner, location_ids: Iterable[int]) -> list[int]:
    if not partner.endpoint(LOCATIONS, RECEIVER):
        return []
    woken: set[int] = set()
    for location_id in sorted(location_ids):
        woken.update(push_location(location_id=location_id, partners=[partner]))
    return sorted(woken)


def publishing_changed(*, partner: Partner, before: set[int]) -> list[int]:
    """An operator changed which locations `partner` sees (`before`: the ids it saw): a location newly
    published is PUT whole; one no longer published has each of its EVSEs PATCHed REMOVED, which is how
    OCPI takes a location away (a CPO cannot DELETE one; an EVSE's REMOVED status says it is gone)."""
    if partner.status != Partner.Status.REGISTERED or not partner.endpoint(LOCATIONS, RECEIVER):
        return []
    after = published_location_ids(partner)
    woken = set(_push_locations(partner=partner, location_ids=after - before))
    now = ocpi_datetime(timezone.now())
    gone = Evse.objects.filter(
        station__location_id__in=before - after, station__registration_status=RegistrationStatus.ACCEPTED
    )
    for evse in gone.select_related("station").order_by("pk"):
        woken.update(
            enqueue(
                module=LOCATIONS,
                object_key=f"{evse.station.location_id}/{evse.pk}",
                method=Push.Method.PATCH,
                path=_owner_path(evse.station.location_id, evse.pk),
                body={"status": "REMOVED", "last_updated": now},
                partners=[partner],
            )
        )
    return sorted(woken)


def backoff(attempts: int) -> timedelta:
    """OCPI_PUSH_RETRY_BASE seconds doubling with each failed attempt, capped at OCPI_PUSH_RETRY_MAX."""
    seconds = settings.OCPI_PUSH_RETRY_BASE * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OCPI_PUSH_RETRY_MAX))


def _superseded(push: Push) -> bool:
    if push.method == Push.Method.PUT:
        return _put_superseded(push)
    if push.method != Push.Method.PATCH:
        return False
    later = _later_pending(push).filter(method=Push.Method.PATCH).values_list("body", flat=True)
    return any(isinstance(body, dict) and set(push.body) <= set(body) for body in later)


def _put_superseded(push: Push) -> bool:
    """A later pending PUT of the object replaces it whole, unless a push of a part of the object (an EVSE
    of a location) waits between them: that part must reach a partner that knows the object."""
    later = _later_pending(push).filter(method=Push.Method.PUT).order_by("id").first()
    if later is None:
        return False
    between = Push.objects.filter(
        partner_id=push.partner_id,
        state=Push.State.PENDING,
        module=push.module,
        object_key__startswith=f"{push.object_key}/",
        id__gt=push.pk,
        id__lt=later.pk,
    )
    return not between.exists()


def _later_pending(push: Push):
    return Push.objects.filter(
        partner_id=push.partner_id,
        state=Push.State.PENDING,
        module=push.module,
        object_key=push.object_key,
        id__gt=push.pk,
    )


def send_pending(*, partner_id: int, now: datetime | None = None) -> int:
    """Send the partner's queue from its oldest pending push while it is due; how many were sent.

    The caller ensures one sender per partner at a time (roaming.tasks holds a lock)."""
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None or partner.status != Partner.Status.REGISTERED or not partner.their_token_encrypted:
        return 0
    token = decrypt(partner.their_token_encrypted)
    sent = 0
    while True:
        push = Push.objects.filter(partner=partner, state=Push.State.PENDING).order_by("id").first()
        if push is None or push.next_attempt_at > (now or timezone.now()):
            return sent
        if _superseded(push):
            push.state = Push.State.SUPERSEDED
            push.save(update_fields=["state"])
            continue
        endpoint = partner.endpoint(push.module, RECEIVER)
        if endpoint is None:
            _fail(push, f"the partner has no {push.module} receiver any more")
            continue
        push.attempts += 1
        try:
            client.call(
                push.method,
                f"{endpoint.rstrip('/')}/{push.path}" if push.path else endpoint,
                token=token,
                partner=partner,
                raw=partner.tokens_raw,
                body=None if push.method == Push.Method.DELETE else push.body,
                to_party=party_pair(push.to_party),
            )
        except client.PartnerUnavailable as failure:
            if push.attempts >= settings.OCPI_PUSH_MAX_ATTEMPTS:
                _fail(push, f"given up after {push.attempts} attempts: {failure}")
                continue
            push.next_attempt_at = timezone.now() + backoff(push.attempts)
            push.last_error = str(failure)[:255]
            push.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            return sent
        except client.PartnerRefused as refusal:
            if not 1000 <= refusal.status_code < 2000:  # 1xxx is OCPI's success family
                _fail(push, str(refusal))
                continue
        push.state = Push.State.SENT
        push.sent_at = timezone.now()
        push.last_error = ""
        push.save(update_fields=["state", "attempts", "sent_at", "last_error"])
        sent += 1


def _fail(push: Push, error: str) -> None:
    push.state = Push.State.FAILED
    push.last_error = error[:255]
    push.save(update_fields=["state", "attempts", "last_error"])


def due_partners(*, now: datetime | None = None) -> list[int]:
    """Partners whose queue has a pending push due (the beat wakes their senders)."""
    due = Push.objects.filter(state=Push.State.PENDING).values("partner_id").annotate(first=Min("next_attempt_at"))
    return sorted(row["partner_id"] for row in due if row["first"] <= (now or timezone.now()))


def retry_now(*, push_ids: list[int]) -> list[int]:
    """An operator's "Retry now": pending again, due at once, a fresh run of attempts; the partners to wake."""
    with transaction.atomic():
        pushes = Push.objects.filter(pk__in=push_ids).exclude(state=Push.State.SENT)
        partner_ids = sorted(set(pushes.values_list("partner_id", flat=True)))
        pushes.update(state=Push.State.PENDING, attempts=0, next_attempt_at=timezone.now())
    return partner_ids
