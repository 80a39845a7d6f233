"""Real-time authorization: a token we do not know (or one whose eMSP wants to be asked) is put to the eMSP's
tokens sender (POST tokens/{uid}/authorize), and the charger is answered with what the eMSP said."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from roaming import client, tasks
from roaming.models import Command, Partner, RealtimeAuthorization
from roaming.schemas.tokens import LOCATION_REFERENCES, TOKEN
from roaming.secrets import encrypt
from roaming.selectors.session_authorisation import Authorised, session_authorisation
from roaming.services.tokens import put_token
from sessions import authorization
from sessions.id_tokens import keep_issued_token
from sessions.models import IdTag, Transaction, Whitelist
from tests.csms.engine_support import engine_for, exchange
from tests.roaming.fake_partner import BASE, FakePartner
from tests.roaming.ocpi_shapes import assert_ocpi
from tests.sessions.chargers import Charger16, Station201
from tests.sessions.test_issued_tokens import issued
from tests.stations.conftest import Plug, create_site

UID = "04A2B3C4D5E6F7"


def token(uid=UID, **changes) -> dict:
    fields = {"country_code": "NL", "party_id": "EXA", "uid": uid, "type": "RFID", "contract_id": "NL-EXA-C1234"}
    fields.update(issuer="Example eMSP", valid=True, whitelist="ALLOWED", last_updated="2026-12-01T10:00:00Z")
    return {**fields, **changes}


def info(allowed="ALLOWED", **changes) -> dict:
    return {"allowed": allowed, "token": token(), "authorization_reference": "AUTH-REF-1", **changes}


@pytest.fixture
def emsp():
    fake = FakePartner(tokens={"emsp-token"})
    client.session.mount(BASE, fake)
    yield fake
    client.session.adapters.pop(BASE, None)


def partner(name="eMSP", *, party=("NL", "EXA"), tokens_sender=True) -> Partner:
    endpoints = {"credentials": {"RECEIVER": f"{BASE}/ocpi/2.2.1/credentials"}}
    endpoints["tokens"] = {"SENDER" if tokens_sender else "RECEIVER": f"{BASE}/ocpi/2.2.1/tokens"}
    return Partner.objects.create(
        name=name,
        status=Partner.Status.REGISTERED,
        country_code=party[0],
        party_id=party[1],
        roles=[{"role": "EMSP", "country_code": party[0], "party_id": party[1]}],
        endpoints=endpoints,
        their_token_encrypted=encrypt("emsp-token"),
    )


@pytest.fixture
def station(db):
    return create_site("CP-RT", 52.5, 13.4, Plug(), Plug(), online=False)


def test_an_unknown_token_the_emsp_allows_is_accepted_and_its_token_and_reference_are_kept(station, emsp):
    partner()
    emsp.authorizations[UID] = info()

    answer = Charger16(station.pk).start(id_tag=UID, meter_start=0, at=timezone.now())

    assert answer.id_tag_info.status == "Accepted"
    (request,) = emsp.authorize_requests()
    assert request.url == f"{BASE}/ocpi/2.2.1/tokens/{UID}/authorize?type=RFID"
    assert request.headers["Authorization"] == client.authorization("emsp-token")
    evse = station.evses.get(number=1)
    references = json.loads(request.body)
    assert references == {"location_id": str(station.location_id), "evse_uids": [str(evse.pk)]}
    assert_ocpi(LOCATION_REFERENCES, references)
    tag = IdTag.objects.get(id_tag=UID)
    assert (tag.issuer_party, tag.contract_id, tag.whitelist) == ("NL*EXA", "NL-EXA-C1234", Whitelist.ALLOWED)
    assert Transaction.objects.get(pk=answer.transaction.pk).id_tag == tag
    # ... and the Session and CDR tell it back: authorised by request, with the eMSP's reference
    assert session_authorisation(Transaction.objects.get(pk=answer.transaction.pk)) == Authorised(
        "AUTH_REQUEST", "AUTH-REF-1"
    )


def test_an_allowed_answer_for_other_evses_than_the_one_asking_is_not_an_acceptance(station, emsp):
    """AuthorizationInfo.location lists "only the EVSEs the EV driver is allowed to charge at"."""
    partner()
    evse = str(station.evses.get(number=1).pk)
    emsp.authorizations[UID] = info(location={"location_id": str(station.location_id), "evse_uids": ["elsewhere"]})
    assert authorization.authorize(id_tag=UID, station_id=station.pk, evse_pk=int(evse)).status == "Invalid"
    RealtimeAuthorization.objects.all().delete()
    emsp.authorizations[UID] = info(location={"location_id": str(station.location_id), "evse_uids": [evse]})
    assert authorization.authorize(id_tag=UID, station_id=station.pk, evse_pk=int(evse)).status == "Accepted"


def test_a_uid_with_url_characters_is_escaped_in_the_authorize_url(station, emsp):
    partner()
    emsp.authorizations["A/B 1?"] = info(token=token(uid="A/B 1?"))
    assert authorization.authorize(id_tag="A/B 1?", station_id=station.pk).status == "Accepted"
    (request,) = emsp.authorize_requests()
    assert request.url == f"{BASE}/ocpi/2.2.1/tokens/A%2FB%201%3F/authorize?type=RFID"


@pytest.mark.parametrize(
    ("allowed", "status"),
    [("BLOCKED", "Blocked"), ("EXPIRED", "Expired"), ("NO_CREDIT", "Invalid"), ("NOT_ALLOWED", "Invalid")],
)
def test_a_token_the_emsp_refuses_is_refused_as_it_says(station, emsp, allowed, status):
    partner()
    emsp.authorizations[UID] = info(allowed, token=token(valid=allowed != "BLOCKED"))
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == status
    assert RealtimeAuthorization.objects.get().allowed == allowed


def test_a_token_no_emsp_knows_is_invalid_and_the_answer_is_kept(station, emsp):
    partner()
    assert authorization.authorize(id_tag="UNKNOWN-1", station_id=station.pk).status == "Invalid"
    assert authorization.authorize(id_tag="UNKNOWN-1", station_id=station.pk).status == "Invalid"
    assert len(emsp.authorize_requests()) == 1
    assert not IdTag.objects.filter(id_tag="UNKNOWN-1").exists()


def test_an_answer_stands_at_the_location_it_was_given_for_not_at_another(station, emsp):
    partner()
    elsewhere = create_site("CP-RT-2", 48.1, 11.6, Plug(), online=False)
    emsp.authorizations[UID] = info(token=token(whitelist="NEVER"))  # kept, and asked about every time
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"
    assert len(emsp.authorize_requests()) == 1  # the same location: the cached answer
    emsp.authorizations[UID] = info("NOT_ALLOWED", token=token(whitelist="NEVER"))
    assert authorization.authorize(id_tag=UID, station_id=elsewhere.pk).status == "Invalid"
    assert len(emsp.authorize_requests()) == 2


def test_a_token_its_emsp_pushes_after_an_unknown_answer_is_not_refused_from_the_cache(station, emsp):
    """The answer "nobody knows it" stands for the next question, until the issuer pushes the token."""
    owner = partner()
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Invalid"
    never = token(whitelist="NEVER")  # to be asked about every time
    put_token(partner=owner, country_code="NL", party_id="EXA", uid=UID, token_type="RFID", token=never)
    emsp.authorizations[UID] = info(token=never)
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"  # asked, not the cache
    assert len(emsp.authorize_requests()) == 2


def test_the_first_emsp_that_allows_wins(station, emsp):
    first, second = partner("first", party=("NL", "EXA")), partner("second", party=("BE", "EXB"))
    emsp.authorizations[UID] = info()
    assert authorization.authorize(id_tag=UID).status == "Accepted"
    # The second is never asked: the first said ALLOWED (both live behind the one fake, so one request).
    assert RealtimeAuthorization.objects.get().partner == first != second
    assert len(emsp.authorize_requests()) == 1


def test_an_emsp_that_times_out_leaves_an_unknown_token_invalid_and_nothing_cached(station, emsp, settings):
    settings.OCPI_AUTHORIZE_TIMEOUT = 0.5
    partner()
    emsp.slow = True
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Invalid"
    assert not RealtimeAuthorization.objects.exists()
    emsp.slow = False
    emsp.authorizations[UID] = info()
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"  # asked again


@pytest.mark.parametrize(
    ("whitelist", "offline"), [(Whitelist.ALLOWED_OFFLINE, "Accepted"), (Whitelist.NEVER, "Invalid")]
)
def test_an_unreachable_issuer_leaves_allowed_offline_to_what_we_hold_and_never_invalid(
    station, emsp, whitelist, offline
):
    partner()
    keep_issued_token(token=issued(issuer_party="NL*EXA", id_tag=UID, whitelist=whitelist))
    emsp.reachable = False
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == offline
    emsp.reachable = True
    emsp.authorizations[UID] = info("NOT_ALLOWED")
    answer = authorization.authorize(id_tag=UID, station_id=station.pk)
    assert (answer.status, answer.reason) == ("Invalid", "")  # the issuer said no: not "did not answer"


def test_an_allowed_token_is_decided_from_what_we_hold_without_a_call(station, emsp):
    partner()
    keep_issued_token(token=issued(issuer_party="NL*EXA", id_tag=UID, whitelist=Whitelist.ALLOWED))
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"
    assert emsp.authorize_requests() == []


def test_a_never_token_is_asked_at_its_issuer_only(station, emsp):
    issuer, other = partner("issuer", party=("NL", "EXA")), partner("other", party=("BE", "EXB"))
    keep_issued_token(token=issued(issuer_party="NL*EXA", id_tag=UID, whitelist=Whitelist.NEVER))
    emsp.authorizations[UID] = info(token=token(whitelist="NEVER"))
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"
    assert [a.partner for a in RealtimeAuthorization.objects.all()] == [issuer]
    assert other.pk and len(emsp.authorize_requests()) == 1


def test_a_partner_without_a_tokens_sender_is_never_asked(station, emsp):
    partner(tokens_sender=False)
    emsp.authorizations[UID] = info()
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Invalid"
    assert emsp.received == []


def test_an_emsp_answering_with_another_partys_token_is_obeyed_but_its_token_not_kept(station, emsp):
    partner()
    emsp.authorizations[UID] = info(token=token(country_code="FR", party_id="OTH"))
    assert authorization.authorize(id_tag=UID).status == "Accepted"
    assert not IdTag.objects.filter(id_tag=UID).exists()
    assert_ocpi(TOKEN, token())


async def test_authorize_then_start_transaction_asks_the_emsp_once_and_the_charger_is_accepted(emsp, transactional_db):
    station = await sync_to_async(create_site)("CP-RT16", 52.5, 13.4, Plug(), online=False)
    await sync_to_async(partner)()
    emsp.authorizations[UID] = info()
    engine, wire = engine_for(station, "1.6")

    authorized = await exchange(engine, wire, json.dumps([2, "a1", "Authorize", {"idTag": UID}]))
    assert authorized[2]["idTagInfo"]["status"] == "Accepted"
    start = {"connectorId": 1, "idTag": UID, "meterStart": 0, "timestamp": "2026-12-04T10:00:00Z"}
    started = await exchange(engine, wire, json.dumps([2, "s1", "StartTransaction", start]))
    assert started[2]["idTagInfo"]["status"] == "Accepted"
    assert len(emsp.authorize_requests()) == 1

    refused = await exchange(engine, wire, json.dumps([2, "a2", "Authorize", {"idTag": "UNKNOWN-2"}]))
    assert refused[2] == {"idTagInfo": {"status": "Invalid"}}


def test_a_201_transaction_event_with_an_unknown_token_is_answered_by_the_emsp(station, emsp):
    partner()
    emsp.authorizations[UID] = info("BLOCKED")
    answer = Station201(station.pk).event(
        "Started", 0, timezone.now(), "tx-rt-1", "Authorized", evse_number=1, connector_number=1, id_tag=UID
    )
    assert answer is not None and answer.status == "Blocked"


def test_an_authorization_info_wrapped_in_a_list_is_read(station, emsp):
    """py_ocpi, the e2e tests' independent eMSP, answers `data: [AuthorizationInfo]`."""
    partner()
    emsp.authorizations[UID] = [info("EXPIRED")]
    assert authorization.authorize(id_tag=UID).status == "Expired"


def test_answers_are_purged_after_the_request_logs_retention(station, emsp, settings):
    settings.OCPI_REQUEST_LOG_RETENTION_DAYS = 30
    partner()
    emsp.authorizations[UID] = info()
    authorization.authorize(id_tag=UID)
    RealtimeAuthorization.objects.update(created_at=timezone.now() - timedelta(days=31))
    authorization.authorize(id_tag="UNKNOWN-3")
    assert tasks.purge_realtime_authorizations() == 1
    assert list(RealtimeAuthorization.objects.values_list("id_tag", flat=True)) == ["UNKNOWN-3"]


@pytest.mark.parametrize("command", ["START_SESSION", "RESERVE_NOW"])
def test_a_token_an_accepted_command_vouches_for_at_the_station_is_accepted_without_asking(station, emsp, command):
    """mod_commands: "The CPO SHALL NOT do a realtime authorization of the Token within 15 minutes after
    having received this StartSession/ReserveNow"; the app's NEVER token starts the session it asked for."""
    owner = partner()
    tag = keep_issued_token(token=issued(issuer_party="NL*EXA", id_tag=UID, whitelist=Whitelist.NEVER))
    emsp.authorizations[UID] = info("NOT_ALLOWED")  # what it would say, were it asked
    Command.objects.create(partner=owner, command=command, request={}, response="ACCEPTED", station=station, id_tag=tag)
    charger = Charger16(station.pk)

    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Accepted"
    assert charger.start(id_tag=UID, meter_start=0, at=timezone.now()).id_tag_info.status == "Accepted"
    assert emsp.authorize_requests() == []

    elsewhere = create_site("CP-ELSEWHERE", 52.6, 13.5, Plug(), online=False)
    assert authorization.authorize(id_tag=UID, station_id=elsewhere.pk).status == "Invalid"  # asked: NOT_ALLOWED
    assert len(emsp.authorize_requests()) == 1


def test_a_command_older_than_15_minutes_or_refused_vouches_for_nothing(station, emsp):
    owner = partner()
    tag = keep_issued_token(token=issued(issuer_party="NL*EXA", id_tag=UID, whitelist=Whitelist.NEVER))
    fields = {"partner": owner, "command": "START_SESSION", "request": {}, "station": station, "id_tag": tag}
    old = Command.objects.create(response="ACCEPTED", **fields)
    Command.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    Command.objects.create(response="REJECTED", **fields)
    assert authorization.authorize(id_tag=UID, station_id=station.pk).status == "Invalid"
    assert len(emsp.authorize_requests()) == 1  # the eMSP was asked (and knew no such token)
