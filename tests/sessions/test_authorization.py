"""Whether a token may charge is one decision: Authorize, a transaction start and the local list
(as the admin sends it) all answer from sessions.authorization, so one rule changes all three."""

from datetime import UTC, datetime, timedelta

from sessions import authorization, local_list
from sessions.admin.commands import SendLocalListForm
from sessions.models import IdTag
from stations.models import ChargingStation

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def answers(station, card, charger16, *, at: datetime) -> tuple[str, str, bool, bool]:
    """(Authorize's status, a start's status, on the local list, in the admin's local-list form)."""
    authorized = authorization.authorize(id_tag=card.id_tag, now=at).status
    started = charger16.start(id_tag=card.id_tag, meter_start=0, at=at).id_tag_info.status
    form = SendLocalListForm(stations=ChargingStation.objects.filter(pk=station.pk))
    listed = card.id_tag in {entry.id_tag for entry in local_list.accepted_entries()}
    return authorized, started, listed, card.id_tag in {entry.id_tag for entry in form.entries}


def test_an_expired_token_is_refused_by_every_door(station, card, charger16):
    card.expires_at = datetime.now(UTC) + timedelta(days=1)
    card.save()
    assert answers(station, card, charger16, at=datetime.now(UTC)) == ("Accepted", "Accepted", True, True)

    card.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    card.save()
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert answers(station, card, charger16, at=later) == ("Expired", "Expired", False, False)


def test_a_token_in_an_expired_group_is_refused_by_every_door(station, card, charger16):
    card.parent = IdTag.objects.create(id_tag="FLEET", expires_at=T0)
    card.save()
    assert answers(station, card, charger16, at=T0 + timedelta(minutes=1)) == ("Expired", "Expired", False, False)


def test_the_rule_is_decided_in_one_place(station, card, charger16, monkeypatch):
    """Change the rule where it lives and every door follows: none of them decides again."""
    monkeypatch.setattr(authorization, "standing", lambda *, tag, now: "Blocked")
    assert answers(station, card, charger16, at=T0) == ("Blocked", "Blocked", False, False)
