"""The Commands receiver: an eMSP's START_SESSION, STOP_SESSION, RESERVE_NOW, CANCEL_RESERVATION and
UNLOCK_CONNECTOR as the partner sees them (the envelope, the CommandResponse at once, the CommandResult
POSTed to its response_url), as the charger gets them (the command port's commands) and as kept (rows)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from csms.ocpp.commands import CancelReservation, CommandRejected, CommandTimeout, StationNotConnected
from roaming import subscribers, tasks
from roaming.models import Command, Push
from roaming.schemas import COMMAND_RESPONSE, COMMAND_RESULT, SESSION
from roaming.selectors.session_authorisation import Authorised, session_authorisation
from roaming.services import session_pushes
from sessions.events import TransactionStarted
from sessions.models import IdTag, Reservation, Transaction
from tests.roaming.commands_fixtures import (  # noqa: F401 (fixtures)
    RESULTS_URL,
    UID,
    charger,
    emsp,
    emsp_results,
    headers,
    hub,
    post,
    session,
    site,
    to_party,
    token,
)
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/ocpi/2.2.1/commands/"


def start_body(site, **changes) -> dict:
    location, station = site
    evse = station.evses.get(number=1)
    body = {"response_url": f"{RESULTS_URL}/start-1", "token": token(), "location_id": str(location.pk)}
    return {**body, "evse_uid": str(evse.pk), **changes}


def send(client, command, body, headers, capture):
    with capture(execute=True):
        response = post(client, URL + command, body, headers)
    assert response.status_code in (200, 400, 403, 404), response.content
    return response


def answered(response) -> dict:
    envelope = response.json()
    assert (response.status_code, envelope["status_code"]) == (200, 1000), envelope
    assert_ocpi(COMMAND_RESPONSE, envelope["data"])
    return envelope["data"]


def posted(emsp_results) -> list[tuple[str, dict]]:
    for _, body in emsp_results.results():
        assert_ocpi(COMMAND_RESULT, body)
    return emsp_results.results()


@pytest.fixture
def run(client, headers, django_capture_on_commit_callbacks, eager_tasks):
    return lambda command, body: send(client, command, body, headers, django_capture_on_commit_callbacks)


def test_start_session_is_accepted_the_charger_gets_remote_start_and_accepted_is_posted(
    run, site, charger, emsp_results
):
    data = answered(run("START_SESSION", start_body(site, authorization_reference="auth-1")))
    assert data["result"] == "ACCEPTED" and data["timeout"] > 0
    [start] = charger.sent
    assert (type(start).__name__, start.id_tag, start.id_token_type, start.evse_number) == (
        "RemoteStart", UID, "ISO14443", 1,
    )  # fmt: skip
    assert posted(emsp_results) == [(f"{RESULTS_URL}/start-1", {"result": "ACCEPTED"})]
    row = Command.objects.get()
    assert (row.command, row.response, row.state, row.result, row.authorization_reference) == (
        "START_SESSION", "ACCEPTED", "delivered", "ACCEPTED", "auth-1",
    )  # fmt: skip
    assert IdTag.objects.get(id_tag=UID).issuer_party == "NL*EMS"  # the token is kept as the eMSP sent it


def test_the_transaction_a_start_session_started_carries_its_authorization_reference(run, site, charger, emsp_results):
    run("START_SESSION", start_body(site, authorization_reference="auth-1"))
    _, station = site
    tx = Transaction.objects.create(
        station=station,
        connector=station.evses.get(number=1).connectors.get(),
        id_tag=IdTag.objects.get(id_tag=UID),
        id_tag_value=UID,
        authorization_status="Accepted",
        meter_start_wh=0,
        started_at=timezone.now(),
    )
    subscribers.transaction_started(TransactionStarted(transaction_id=tx.pk, station_id=station.pk, connector_id=1))
    assert Command.objects.get().transaction == tx
    assert session_authorisation(tx) == Authorised("COMMAND", "auth-1")
    tx.pk += 1  # a transaction no command started
    assert session_authorisation(tx) == Authorised("WHITELIST")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"response_url": None}, "response_url must be an http(s) URL"),
        ({"token": None}, "token must be a Token object"),
        ({"token": token(whitelist="SOMETIMES")}, "whitelist must be one of"),
        ({"location_id": None}, "location_id must be a string"),
        ({"evse_uid": None, "connector_id": "1"}, "connector_id needs evse_uid"),
        ({"location_id": "x" * 37}, "location_id must be a string of 1 to 36"),
    ],
)
def test_a_malformed_start_session_is_2001_naming_the_field(run, site, charger, change, message):
    body = {k: v for k, v in {**start_body(site), **change}.items() if v is not None}
    response = run("START_SESSION", body)
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert message in response.json()["status_message"]
    assert charger.sent == [] and not Command.objects.exists()


def test_a_body_that_is_not_json_is_2001(run, charger):
    assert run("START_SESSION", "{not json").json()["status_code"] == 2001


def test_an_unknown_location_evse_or_connector_is_2003_with_a_rejected_command_response(run, site, charger):
    """mod_commands' sequence diagram: status_code = 2003, data: CommandResponse { result = REJECTED }."""
    for change in ({"location_id": "999999"}, {"evse_uid": "999999"}, {"connector_id": "9"}):
        response = run("START_SESSION", start_body(site, **change))
        envelope = response.json()
        assert (response.status_code, envelope["status_code"]) == (404, 2003)
        assert_ocpi(COMMAND_RESPONSE, envelope["data"])
        assert (envelope["data"]["result"], envelope["data"]["timeout"]) == ("REJECTED", 0)
        assert envelope["data"]["message"][0]["text"] == envelope["status_message"]
    assert charger.sent == []


def test_a_token_of_another_party_is_refused(run, site, charger):
    response = run("START_SESSION", start_body(site, token=token(party_id="OTH")))
    assert (response.status_code, response.json()["status_code"]) == (403, 2001)
    assert not IdTag.objects.exists()


@pytest.mark.parametrize("sent", [token(whitelist="NEVER"), token(valid=False)])
def test_start_session_sends_the_token_to_the_charger_unchecked(run, site, charger, emsp_results, sent):
    """mod_commands: "the CPO SHALL NOT check the validity of the Token provided before sending the request
    to the Charge Point" (a NEVER token its eMSP cannot be asked about, one it says is not valid)."""
    assert answered(run("START_SESSION", start_body(site, token=sent)))["result"] == "ACCEPTED"
    [start] = charger.sent
    assert (type(start).__name__, start.id_tag) == ("RemoteStart", UID)
    assert posted(emsp_results) == [(f"{RESULTS_URL}/start-1", {"result": "ACCEPTED"})]
    tag = IdTag.objects.get(id_tag=UID)
    assert (tag.whitelist, tag.valid) == (sent["whitelist"].lower(), sent["valid"])  # kept as sent


def test_a_start_session_to_an_offline_station_is_rejected_at_once(run, site, charger, emsp_results):
    _, station = site
    station.connection_channel = ""
    station.save()
    data = answered(run("START_SESSION", start_body(site)))
    assert (data["result"], data["message"][0]["text"]) == ("REJECTED", "The charging station is offline")
    assert charger.sent == []


@pytest.mark.parametrize(
    ("failure", "result"),
    [
        (StationNotConnected("CP-1"), "FAILED"),
        (CommandTimeout("CP-1", "RemoteStartTransaction", 30), "TIMEOUT"),
        (CommandRejected("CP-1", "RemoteStartTransaction", "Rejected", {}), "REJECTED"),
    ],
)
def test_a_charger_that_does_not_start_gets_the_partner_an_honest_result(
    run, site, charger, emsp_results, failure, result
):
    charger.failure = failure
    assert answered(run("START_SESSION", start_body(site)))["result"] == "ACCEPTED"
    [(_, body)] = posted(emsp_results)
    assert body["result"] == result and body["message"][0]["text"]


def test_a_start_refused_on_a_charging_evse_is_evse_occupied(run, site, charger, emsp_results):
    _, station = site
    station.evses.get(number=1).connectors.update(status="Charging")
    charger.failure = CommandRejected("CP-1", "RemoteStartTransaction", "Rejected", {})
    run("START_SESSION", start_body(site))
    assert posted(emsp_results)[0][1]["result"] == "EVSE_OCCUPIED"


def test_stop_session_stops_the_partners_session(run, session, charger, emsp_results):
    body = {"response_url": f"{RESULTS_URL}/stop-1", "session_id": str(session.pk)}
    assert answered(run("STOP_SESSION", body))["result"] == "ACCEPTED"
    [stop] = charger.sent
    assert (type(stop).__name__, stop.transaction_id) == ("RemoteStop", session.pk)
    assert posted(emsp_results) == [(f"{RESULTS_URL}/stop-1", {"result": "ACCEPTED"})]


def test_stop_session_of_an_unknown_or_another_partners_session_is_unknown_session(run, session, charger):
    IdTag.objects.filter(pk=session.id_tag_id).update(issuer_party="NL*OTH")
    for session_id in (str(session.pk), "999999", "abc"):
        body = {"response_url": f"{RESULTS_URL}/stop", "session_id": session_id}
        assert answered(run("STOP_SESSION", body))["result"] == "UNKNOWN_SESSION"
    assert charger.sent == []


def reserve_body(site, **changes) -> dict:
    location, station = site
    body = {
        "response_url": f"{RESULTS_URL}/reserve-1",
        "token": token(),
        "expiry_date": (timezone.now() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reservation_id": "emsp-res-1",
        "location_id": str(location.pk),
        "evse_uid": str(station.evses.get(number=2).pk),
    }
    return {**body, **changes}


def test_reserve_now_then_cancel_reservation_use_our_own_reservation_id(run, site, charger, emsp_results):
    assert answered(run("RESERVE_NOW", reserve_body(site)))["result"] == "ACCEPTED"
    reservation = Reservation.objects.get()
    [reserve] = charger.sent
    assert (type(reserve).__name__, reserve.reservation_id, reserve.evse_number, reserve.id_tag) == (
        "ReserveNow", reservation.pk, 2, UID,
    )  # fmt: skip
    assert reservation.status == "accepted"
    cancel = {"response_url": f"{RESULTS_URL}/cancel-1", "reservation_id": "emsp-res-1"}
    assert answered(run("CANCEL_RESERVATION", cancel))["result"] == "ACCEPTED"
    assert charger.sent[1] == CancelReservation(reservation_id=reservation.pk)
    assert [body for _, body in posted(emsp_results)] == [{"result": "ACCEPTED"}, {"result": "ACCEPTED"}]
    assert Reservation.objects.get().status == "cancelled"


def test_reserve_now_again_with_the_same_reservation_id_replaces_it(run, site, charger, emsp_results):
    run("RESERVE_NOW", reserve_body(site))
    later = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    run("RESERVE_NOW", reserve_body(site, expiry_date=later.strftime("%Y-%m-%dT%H:%M:%SZ")))
    reservation = Reservation.objects.get()
    assert [c.reservation_id for c in charger.sent] == [reservation.pk, reservation.pk]
    assert (reservation.expires_at, reservation.status) == (later, "accepted")
    run("CANCEL_RESERVATION", {"response_url": f"{RESULTS_URL}/cancel-1", "reservation_id": "emsp-res-1"})
    cancel = {"response_url": f"{RESULTS_URL}/cancel-2", "reservation_id": "emsp-res-1"}
    assert answered(run("CANCEL_RESERVATION", cancel))["result"] == "REJECTED"  # it has ended


def reservation_sessions() -> list[dict]:
    """The Session PUTs queued for the eMSP, each checked against the spec's shape."""
    pushes = Push.objects.filter(module="sessions", method="PUT").order_by("id")
    for push in pushes:
        assert_ocpi(SESSION, push.body)
        assert (push.path, push.to_party) == (f"DE/VST/{push.object_key}", "NL*EMS")
    return [push.body for push in pushes]


def test_a_reservation_the_charger_holds_is_a_reservation_session_completed_once_it_ends(
    run, emsp, site, charger, emsp_results
):
    """mod_commands: "A successful reservation will result in a new Session object being created by the CPO"."""
    emsp.endpoints = {"sessions": {"RECEIVER": f"{RESULTS_URL}/sessions"}}
    emsp.save()
    run("RESERVE_NOW", reserve_body(site, authorization_reference="res-auth-1"))
    reservation = Reservation.objects.get()
    held = reservation_sessions()[-1]
    _, station = site
    assert (held["id"], held["status"], held["kwh"], held["auth_method"]) == (
        f"R{reservation.pk}", "RESERVATION", 0, "COMMAND",
    )  # fmt: skip
    assert (held["evse_uid"], held["connector_id"]) == (str(station.evses.get(number=2).pk), "1")
    assert (held["authorization_reference"], held["cdr_token"]["uid"]) == ("res-auth-1", UID)
    assert "end_date_time" not in held

    run("CANCEL_RESERVATION", {"response_url": f"{RESULTS_URL}/cancel-1", "reservation_id": "emsp-res-1"})
    ended = reservation_sessions()[-1]
    assert (ended["id"], ended["status"]) == (f"R{reservation.pk}", "COMPLETED") and ended["end_date_time"]


def test_a_reservation_past_its_expiry_is_completed_and_a_refused_one_is_no_session(
    run, emsp, site, charger, emsp_results
):
    emsp.endpoints = {"sessions": {"RECEIVER": f"{RESULTS_URL}/sessions"}}
    emsp.save()
    run("RESERVE_NOW", reserve_body(site))
    reservation = Reservation.objects.get()
    session_pushes.push_reservation_session(reservation_id=reservation.pk, now=reservation.expires_at)
    assert reservation_sessions()[-1]["status"] == "COMPLETED"  # a 1.6 charger reports no expiry

    Push.objects.all().delete()
    charger.failure = CommandRejected("CP-1", "ReserveNow", "Occupied", {})
    run("RESERVE_NOW", reserve_body(site, reservation_id="emsp-res-2"))
    assert reservation_sessions() == []


def test_reserve_now_malformed_expiry_is_2001(run, site, charger):
    response = run("RESERVE_NOW", reserve_body(site, expiry_date="tomorrow"))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert "expiry_date" in response.json()["status_message"]


def test_cancel_of_a_reservation_we_do_not_know_is_rejected(run, site, charger):
    cancel = {"response_url": f"{RESULTS_URL}/cancel-1", "reservation_id": "never-made"}
    assert answered(run("CANCEL_RESERVATION", cancel))["result"] == "REJECTED"
    assert charger.sent == []


def test_a_cancel_the_charger_does_not_know_is_unknown_reservation(run, site, charger, emsp_results):
    run("RESERVE_NOW", reserve_body(site))
    charger.failure = CommandRejected("CP-1", "CancelReservation", "Rejected", {})
    run("CANCEL_RESERVATION", {"response_url": f"{RESULTS_URL}/cancel-1", "reservation_id": "emsp-res-1"})
    assert posted(emsp_results)[-1][1]["result"] == "UNKNOWN_RESERVATION"


def test_unlock_connector_reaches_the_connector(run, site, charger, emsp_results):
    location, station = site
    evse = station.evses.get(number=2)
    body = {"response_url": f"{RESULTS_URL}/unlock-1", "location_id": str(location.pk)}
    body |= {"evse_uid": str(evse.pk), "connector_id": "1"}
    assert answered(run("UNLOCK_CONNECTOR", body))["result"] == "ACCEPTED"
    [unlock] = charger.sent
    assert (type(unlock).__name__, unlock.evse_number, unlock.connector_number) == ("UnlockConnector", 2, 1)
    assert posted(emsp_results)[0][1] == {"result": "ACCEPTED"}

    charger.failure = CommandRejected("CP-1", "UnlockConnector", "UnlockFailed", {})
    run("UNLOCK_CONNECTOR", body)
    assert posted(emsp_results)[1][1]["result"] == "FAILED"

    response = run("UNLOCK_CONNECTOR", {**body, "connector_id": "9"})
    assert (response.status_code, response.json()["status_code"]) == (404, 2003)
    assert response.json()["data"]["result"] == "REJECTED"


def test_a_result_goes_back_to_the_party_that_asked_not_the_hubs_first_role(
    client, headers, hub, site, charger, emsp_results, django_capture_on_commit_callbacks, eager_tasks
):
    from_header = {"HTTP_OCPI_FROM_COUNTRY_CODE": "BE", "HTTP_OCPI_FROM_PARTY_ID": "EMB"}
    send(client, "START_SESSION", start_body(site), headers | from_header, django_capture_on_commit_callbacks)
    other_token = start_body(site, token=token(country_code="BE", party_id="EMB", uid="BE-APP-1"))
    send(client, "START_SESSION", other_token, headers, django_capture_on_commit_callbacks)  # no OCPI-from-*
    assert to_party(emsp_results) == [("BE", "EMB"), ("BE", "EMB")]
    assert list(Command.objects.order_by("id").values_list("from_party", flat=True)) == ["BE*EMB", "BE*EMB"]


def test_a_stop_session_result_goes_to_the_party_of_the_sessions_token(run, hub, session, charger, emsp_results):
    IdTag.objects.filter(pk=session.id_tag_id).update(issuer_party="BE*EMB")
    run("STOP_SESSION", {"response_url": f"{RESULTS_URL}/stop-1", "session_id": str(session.pk)})
    assert to_party(emsp_results) == [("BE", "EMB")]


def test_a_command_we_do_not_know_is_not_supported(run, charger):
    data = answered(run("SELF_DESTRUCT", {"response_url": f"{RESULTS_URL}/x"}))
    assert data["result"] == "NOT_SUPPORTED"


def test_a_result_the_partner_could_not_take_is_posted_again_once_after_a_backoff(
    run, site, charger, emsp_results, settings
):
    emsp_results.reachable = False
    run("START_SESSION", start_body(site))
    row = Command.objects.get()
    assert (row.state, row.attempts) == ("answered", 1) and "unreachable" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert tasks.retry_due_results() == 0  # not before its backoff

    emsp_results.reachable = True
    Command.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert tasks.retry_due_results() == 1
    assert tasks.retry_due_results() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("delivered", 2)
    assert len(posted(emsp_results)) == 2 and posted(emsp_results)[-1][1] == {"result": "ACCEPTED"}


def test_operators_see_each_command_in_the_admin_read_only(run, site, charger, emsp_results, admin_client):
    run("START_SESSION", start_body(site))
    page = admin_client.get("/admin/roaming/command/")
    assert page.status_code == 200 and b"START_SESSION" in page.content
    row = Command.objects.get()
    assert admin_client.get(f"/admin/roaming/command/{row.pk}/change/").status_code == 200
    assert admin_client.get("/admin/roaming/command/add/").status_code == 403


def test_the_commands_endpoint_takes_only_posts_of_a_command(client, headers):
    assert client.get(URL + "START_SESSION", **headers).status_code == 405
    assert client.post(URL.rstrip("/"), **headers).status_code == 405


def test_the_version_details_list_commands_and_chargingprofiles_receivers(client, headers):
    endpoints = client.get("/ocpi/2.2.1", **headers).json()["data"]["endpoints"]
    listed = {(e["identifier"], e["role"]) for e in endpoints}
    assert {("commands", "RECEIVER"), ("chargingprofiles", "RECEIVER")} <= listed
