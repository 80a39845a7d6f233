"""The ChargingProfiles receiver: an eMSP sets (PUT), reads (GET) and clears (DELETE) the charging profile of
its session; the ChargingProfileResponse at once, the charger's SetChargingProfile / GetCompositeSchedule /
ClearChargingProfile, and the result POSTed to the partner's response_url."""

import pytest

from csms.ocpp.commands import CommandRejected, CommandTimeout
from csms.ocpp.v16.commands import set_charging_profile
from roaming.mapping.charging_profiles import profile_id
from roaming.models import Command
from roaming.schemas import (
    ACTIVE_CHARGING_PROFILE_RESULT,
    CHARGING_PROFILE_RESPONSE,
    CHARGING_PROFILE_RESULT,
    CLEAR_PROFILE_RESULT,
)
from sessions.models import IdTag
from stations.models import CompositeSchedule
from tests.roaming.commands_fixtures import (  # noqa: F401 (fixtures)
    RESULTS_URL,
    charger,
    emsp,
    emsp_results,
    headers,
    hub,
    session,
    site,
    to_party,
)
from tests.roaming.ocpi_shapes import assert_ocpi

pytestmark = pytest.mark.django_db(transaction=True)

PROFILE = {
    "start_date_time": "2026-12-04T10:00:00Z",
    "charging_rate_unit": "W",
    "min_charging_rate": 1380,
    "charging_profile_period": [{"start_period": 0, "limit": 11000}, {"start_period": 1800, "limit": 7400.5}],
}


def url(session) -> str:
    return f"/ocpi/2.2.1/chargingprofiles/{session.pk}"


@pytest.fixture
def put(client, headers, eager_tasks):
    def put(session_url, body):
        return client.put(session_url, data=body, content_type="application/json", **headers)

    return put


def answered(response) -> dict:
    envelope = response.json()
    assert (response.status_code, envelope["status_code"]) == (200, 1000), envelope
    assert_ocpi(CHARGING_PROFILE_RESPONSE, envelope["data"])
    return envelope["data"]


def test_put_sets_a_tx_profile_of_the_transaction_and_posts_accepted(put, session, charger, emsp_results):
    body = {"charging_profile": PROFILE, "response_url": f"{RESULTS_URL}/profile-1"}
    data = answered(put(url(session), body))
    assert data["result"] == "ACCEPTED" and data["timeout"] > 0
    [command] = charger.sent
    frame = set_charging_profile(command)
    assert frame.connector_id == 1
    assert frame.cs_charging_profiles == {
        "charging_profile_id": profile_id(session.pk),
        "transaction_id": session.pk,
        "stack_level": 2,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Absolute",
        "recurrency_kind": None,
        "valid_from": None,
        "valid_to": None,
        "charging_schedule": {
            "charging_rate_unit": "W",
            "charging_schedule_period": [
                {"start_period": 0, "limit": 11000.0},
                {"start_period": 1800, "limit": 7400.5},
            ],
            "start_schedule": "2026-12-04T10:00:00Z",
            "min_charging_rate": 1380.0,
        },
    }
    [(result_url, result)] = emsp_results.results()
    assert (result_url, result) == (f"{RESULTS_URL}/profile-1", {"result": "ACCEPTED"})
    assert_ocpi(CHARGING_PROFILE_RESULT, result)
    row = Command.objects.get()
    assert (row.module, row.command, row.state, row.transaction_id) == (
        "chargingprofiles", "SET_CHARGING_PROFILE", "delivered", session.pk,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({**PROFILE, "charging_rate_unit": "kW"}, "charging_rate_unit must be W or A"),
        ({**PROFILE, "charging_profile_period": []}, "charging_profile_period must be a list"),
        ({**PROFILE, "charging_profile_period": [{"start_period": 60, "limit": 1}]}, "must start at 0"),
        ({**PROFILE, "start_date_time": "soon"}, "start_date_time must be"),
        ("11 kW", "charging_profile must be a ChargingProfile object"),
    ],
)
def test_a_malformed_profile_is_2001(put, session, charger, profile, message):
    response = put(url(session), {"charging_profile": profile, "response_url": f"{RESULTS_URL}/p"})
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert message in response.json()["status_message"]
    assert charger.sent == []


def test_a_profile_for_a_session_not_the_partners_is_unknown_session(put, session, charger):
    IdTag.objects.filter(pk=session.id_tag_id).update(issuer_party="NL*OTH")
    for session_url in (url(session), "/ocpi/2.2.1/chargingprofiles/999999", "/ocpi/2.2.1/chargingprofiles/abc"):
        data = answered(put(session_url, {"charging_profile": PROFILE, "response_url": f"{RESULTS_URL}/p"}))
        assert data == {"result": "UNKNOWN_SESSION", "timeout": 0}
    assert charger.sent == []


def test_a_result_goes_back_to_the_party_that_asked(client, headers, hub, session, charger, emsp_results, eager_tasks):
    body = {"charging_profile": PROFILE, "response_url": f"{RESULTS_URL}/p"}
    from_header = {"HTTP_OCPI_FROM_COUNTRY_CODE": "BE", "HTTP_OCPI_FROM_PARTY_ID": "EMB"}
    client.put(url(session), data=body, content_type="application/json", **headers, **from_header)
    IdTag.objects.filter(pk=session.id_tag_id).update(issuer_party="BE*EMB")
    client.delete(f"{url(session)}?response_url={RESULTS_URL}/c", **headers)  # no OCPI-from-*: the token's party
    assert to_party(emsp_results) == [("BE", "EMB"), ("BE", "EMB")]


def test_a_charger_that_refuses_or_does_not_answer_gets_the_partner_rejected(put, session, charger, emsp_results):
    body = {"charging_profile": PROFILE, "response_url": f"{RESULTS_URL}/p"}
    for failure in (CommandRejected("CP-1", "SetChargingProfile", "Rejected", {}), CommandTimeout("CP-1", "x", 30)):
        charger.failure = failure
        put(url(session), body)
    assert [r for _, r in emsp_results.results()] == [{"result": "REJECTED"}, {"result": "REJECTED"}]


def test_get_asks_the_composite_schedule_and_posts_the_active_profile(
    client, headers, eager_tasks, session, charger, emsp_results
):
    charger.data = {
        "status": "Accepted",
        "connector_id": 1,
        "schedule_start": "2026-12-04T10:00:00Z",
        "charging_schedule": {
            "duration": 3600,
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": 16.0, "number_phases": 3}],
        },
    }
    query = {"duration": "3600", "response_url": f"{RESULTS_URL}/active-1"}
    assert answered(client.get(url(session), query, **headers))["result"] == "ACCEPTED"
    [command] = charger.sent
    assert (type(command).__name__, command.evse_number, command.duration_s) == ("GetCompositeSchedule", 1, 3600)
    [(_, result)] = emsp_results.results()
    assert_ocpi(ACTIVE_CHARGING_PROFILE_RESULT, result)
    assert result == {
        "result": "ACCEPTED",
        "profile": {
            "start_date_time": "2026-12-04T10:00:00Z",
            "charging_profile": {
                "charging_rate_unit": "A",
                "charging_profile_period": [{"start_period": 0, "limit": 16.0}],
                "duration": 3600,
            },
        },
    }
    assert CompositeSchedule.objects.get().status == "Accepted"  # kept for operators, as the admin's ask is


def test_get_without_a_duration_is_2001(client, headers, session, charger):
    response = client.get(url(session), {"response_url": f"{RESULTS_URL}/a"}, **headers)
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)
    assert "duration" in response.json()["status_message"]


def test_delete_clears_our_profile_of_the_session(client, headers, eager_tasks, session, charger, emsp_results):
    query = f"?response_url={RESULTS_URL}/clear-1"
    assert answered(client.delete(url(session) + query, **headers))["result"] == "ACCEPTED"
    [command] = charger.sent
    assert (type(command).__name__, command.profile_id) == ("ClearChargingProfile", profile_id(session.pk))
    [(_, result)] = emsp_results.results()
    assert_ocpi(CLEAR_PROFILE_RESULT, result)
    assert result == {"result": "ACCEPTED"}

    charger.failure = CommandRejected("CP-1", "ClearChargingProfile", "Unknown", {})
    client.delete(url(session) + query, **headers)
    assert emsp_results.results()[-1][1] == {"result": "UNKNOWN"}


def test_a_profile_request_for_an_offline_station_is_rejected_at_once(client, headers, session, charger):
    session.station.connection_channel = ""
    session.station.save()
    query = f"?response_url={RESULTS_URL}/clear-1"
    assert answered(client.delete(url(session) + query, **headers))["result"] == "REJECTED"
    assert charger.sent == []


def test_post_is_not_a_chargingprofiles_method(client, headers, session):
    assert client.post(url(session), **headers).status_code == 405
