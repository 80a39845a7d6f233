"""A roaming partner's tokens (kept by sessions.id_tokens) are answered by the one authorization rule:
its issuer's word (valid, whitelist) counts at Authorize, at a start and on the local list alike."""

from datetime import UTC, datetime

import pytest

from csms.ocpp import commands as c
from csms.ocpp.v16.commands import send_local_list as as_16
from csms.ocpp.v201.commands import send_local_list as as_201
from sessions import authorization, local_list
from sessions.id_tokens import IdTokenTaken, IssuedToken, keep_issued_token
from sessions.models import IdTag, Whitelist
from tests.sessions.test_authorization import answers

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def issued(**changes) -> IssuedToken:
    fields = {
        "issuer_party": "NL*EMS",
        "id_tag": "04A2B3C4D5E6F7",
        "token_type": IdTag.TokenType.RFID,
        "id_token_type": IdTag.IdTokenType.ISO14443,
        "contract_id": "NL-EMS-C12345678-X",
        "issuer_name": "Partner eMSP",
        "whitelist": Whitelist.ALLOWED,
        "valid": True,
        "last_updated": T0,
    }
    return IssuedToken(**{**fields, **changes})


@pytest.mark.parametrize(
    ("whitelist", "valid", "expected"),
    [
        (Whitelist.ALWAYS, True, ("Accepted", "Accepted", True, True)),
        (Whitelist.ALLOWED, True, ("Accepted", "Accepted", True, True)),
        (Whitelist.ALLOWED_OFFLINE, True, ("Accepted", "Accepted", True, True)),
        (Whitelist.NEVER, True, ("Invalid", "Invalid", False, False)),
        (Whitelist.ALWAYS, False, ("Blocked", "Blocked", False, False)),
        (Whitelist.ALLOWED, False, ("Blocked", "Blocked", False, False)),
        (Whitelist.ALLOWED_OFFLINE, False, ("Blocked", "Blocked", False, False)),
        (Whitelist.NEVER, False, ("Blocked", "Blocked", False, False)),
    ],
)
def test_the_issuers_word_decides_at_every_door(station, charger16, whitelist, valid, expected):
    tag = keep_issued_token(token=issued(whitelist=whitelist, valid=valid))
    assert answers(station, tag, charger16, at=datetime.now(UTC)) == expected


def test_a_refusal_by_the_issuers_word_says_why(db):
    keep_issued_token(token=issued(id_tag="NEVER-1", whitelist=Whitelist.NEVER))
    keep_issued_token(token=issued(id_tag="WITHDRAWN-1", valid=False))
    assert authorization.authorize(id_tag="NEVER-1").reason == authorization.ISSUER_DECIDES
    assert authorization.authorize(id_tag="WITHDRAWN-1").reason == authorization.WITHDRAWN_BY_ISSUER
    assert authorization.authorize(id_tag="UNKNOWN").reason == ""


def test_an_operators_block_stands_whatever_the_issuer_says(db):
    tag = keep_issued_token(token=issued())
    IdTag.objects.filter(pk=tag.pk).update(status="Blocked")
    keep_issued_token(token=issued(last_updated=datetime(2026, 11, 22, tzinfo=UTC)))
    info = authorization.authorize(id_tag=tag.id_tag)
    assert (info.status, info.reason) == ("Blocked", "")


def test_keeping_again_replaces_the_token_and_another_issuer_cannot_take_its_uid(db):
    first = keep_issued_token(token=issued())
    again = keep_issued_token(
        token=issued(valid=False, visual_number="1234", last_updated=datetime(2027, 1, 1, tzinfo=UTC))
    )
    assert again.pk == first.pk and IdTag.objects.count() == 1
    again.refresh_from_db()
    assert (again.valid, again.visual_number, again.last_updated) == (False, "1234", datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(IdTokenTaken):
        keep_issued_token(token=issued(issuer_party="DE*ABC"))
    IdTag.objects.create(id_tag="OURS-1")
    with pytest.raises(IdTokenTaken):
        keep_issued_token(token=issued(id_tag="OURS-1"))


def test_a_uid_longer_than_a_16_idtag_is_left_off_a_16_list_only(db):
    """A 2.0.1 charger reads 36 characters, a 1.6 one 20: a longer uid cannot be presented at 1.6."""
    keep_issued_token(token=issued(id_tag="A" * 20))
    keep_issued_token(token=issued(id_tag="B" * 21))
    command = c.SendLocalList(version=1, entries=tuple(local_list.accepted_entries()), leave_out_unpresentable=True)
    assert [e["id_tag"] for e in as_16(command).local_authorization_list] == ["A" * 20]
    assert len(as_201(command).local_authorization_list) == 2
