"""Tariff pushes: each partner's tariffs receiver gets a PUT when a published tariff changes, and a
DELETE when one it got stops being published (no longer charged to every driver somewhere, or deleted).

Tariffs are keyed in the queue by billing's pk, so a tariff whose OCPI id an operator changed is DELETEd
at its old id before it is PUT at its new one. Whether a partner holds a tariff is what we last queued
for it: a DELETE goes only to partners whose last push of the tariff was a PUT.
"""

from django.conf import settings

from roaming.mapping.tariffs import tariff_object
from roaming.models import Partner, Push
from roaming.selectors.tariffs import roaming_tariffs
from roaming.services.push import RECEIVER, enqueue, receivers

TARIFFS = "tariffs"


def _path(tariff_id: str) -> str:
    return f"{settings.OCPI_COUNTRY_CODE}/{settings.OCPI_PARTY_ID}/{tariff_id}"


def _held_path(*, partner: Partner, object_key: str) -> str | None:
    """The path of the tariff at the partner, if our last push of it was a PUT."""
    last = Push.objects.filter(partner=partner, module=TARIFFS, object_key=object_key).order_by("-id").first()
    return last.path if last is not None and last.method == Push.Method.PUT else None


def push_tariff(*, tariff_pk: int, partners: list[Partner] | None = None) -> list[int]:
    """PUT the tariff as it is now, or DELETE it where it is held and no longer published."""
    partners = receivers(module=TARIFFS) if partners is None else partners
    tariff = roaming_tariffs().filter(pk=tariff_pk).first()
    object_key = str(tariff_pk)
    woken: set[int] = set()
    for partner in partners:
        held = _held_path(partner=partner, object_key=object_key)
        path = None if tariff is None else _path(tariff.tariff_id)
        if held is not None and held != path:
            woken.update(_enqueue(Push.Method.DELETE, object_key, held, {}, partner))
        if tariff is not None and path is not None:
            body = tariff_object(tariff, country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID)
            woken.update(_enqueue(Push.Method.PUT, object_key, path, body, partner))
    return sorted(woken)


def push_all_tariffs(*, partner: Partner) -> list[int]:
    """A partner that just registered gets every published tariff."""
    if not partner.endpoint(TARIFFS, RECEIVER):
        return []
    woken: set[int] = set()
    for tariff_pk in roaming_tariffs().values_list("pk", flat=True):
        woken.update(push_tariff(tariff_pk=tariff_pk, partners=[partner]))
    return sorted(woken)


def _enqueue(method: str, object_key: str, path: str, body: dict, partner: Partner) -> list[int]:
    return enqueue(module=TARIFFS, object_key=object_key, method=method, path=path, body=body, partners=[partner])
