"""Reads for the drivers' API (a driver sees only their own sessions and tokens), and of tokens others issued."""

from django.db.models import QuerySet

from sessions.models import DriverSession, IdTag


def driver_sessions(*, driver) -> QuerySet[DriverSession]:
    return DriverSession.objects.filter(driver=driver).select_related(
        "station", "connector__evse", "transaction__id_tag"
    )


def id_token_types(*, id_tags: list[str]) -> dict[str, str]:
    """The OCPP 2.0.1 type of each id tag, as stored; a tag we do not know is one the CSMS
    vouches for itself (Central), like a token an operator types into a remote start."""
    stored = dict(IdTag.objects.filter(id_tag__in=id_tags).values_list("id_tag", "id_token_type"))
    return {tag: stored.get(tag, IdTag.IdTokenType.CENTRAL) for tag in id_tags}


def driver_id_tokens(*, driver) -> QuerySet[IdTag]:
    return IdTag.objects.filter(owner=driver).order_by("created_at", "pk")


def issued_token(*, issuer_party: str, id_tag: str) -> IdTag | None:
    """A token the party named "CC*PID" issued, by its uid; None when that party issued none with it."""
    return IdTag.objects.filter(issuer_party=issuer_party, id_tag=id_tag).first()
