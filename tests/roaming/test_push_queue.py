"""The push queue: a status change becomes one PATCH per partner's locations receiver, sent in order,
kept while the partner is down and sent once when it is back; refusals stay for the operators."""

import json
from datetime import timedelta

import pytest
import requests
from django.contrib.admin.sites import site
from django.utils import timezone

from roaming import client, tasks
from roaming.models import Partner, Push, RequestLog
from roaming.secrets import encrypt
from roaming.services import push
from stations.models import Location
from stations.services.connections import provision_station, station_connected
from stations.services.status import StatusReport, record_status
from tests.roaming.fake_partner import BASE, FakePartner, envelope

LOCATIONS_URL = f"{BASE}/ocpi/2.2.1/locations"


class LocationsReceiver(FakePartner):
    """The fake eMSP's locations receiver: answers every PUT/PATCH with `status_code`."""

    status_code: int = 1000
    http_status: int = 200
    answers_envelope: bool = True

    def send(self, request, **kwargs):
        if not request.url.startswith(LOCATIONS_URL + "/"):
            return super().send(request, **kwargs)
        self.received.append(request)
        if not self.reachable:
            raise requests.ConnectionError("connection refused")
        if not self.answers_envelope:
            response = self._answer(request, self.http_status, None)
            response._content = b"<html>Bad Gateway</html>"
            return response
        return self._answer(request, self.http_status, envelope(None, self.status_code))

    def pushes(self) -> list[tuple[str, str, dict]]:
        return [
            (r.method, r.url.removeprefix(LOCATIONS_URL + "/"), json.loads(r.body))
            for r in self.received
            if r.url.startswith(LOCATIONS_URL + "/")
        ]


@pytest.fixture
def receiver():
    fake = LocationsReceiver(tokens={"emsp-token"})
    client.session.mount(BASE, fake)
    yield fake
    client.session.adapters.pop(BASE, None)


def partner(name, *, status=Partner.Status.REGISTERED, modules=("credentials", "locations")) -> Partner:
    return Partner.objects.create(
        name=name,
        status=status,
        country_code="NL",
        party_id="EXA",
        endpoints={m: {"RECEIVER": f"{BASE}/ocpi/2.2.1/{m}"} for m in modules},
        their_token_encrypted=encrypt("emsp-token"),
    )


@pytest.fixture
def site_with_charger(db):
    """An accepted, connected station with two EVSEs at a location: (location, station)."""
    location = Location.objects.create(name="Depot", latitude=52.5, longitude=13.4)
    station = provision_station(charge_point_id="CP-1", password="a-long-password", location=location, evse_count=2)
    station.connection_channel = "test-channel"
    station.connected_at = timezone.now()
    station.save()
    return location, station


def report(station, status, *, evse=1, capture):
    with capture(execute=True):
        record_status(
            station_id=station.pk,
            evse_number=evse,
            connector_number=1,
            report=StatusReport(status=status),
            timestamp=timezone.now(),
        )


def evse_path(station, number=1):
    evse = station.evses.get(number=number)
    return f"DE/VST/{station.location_id}/{evse.pk}"


def test_a_status_change_enqueues_one_patch_per_partner_with_a_locations_receiver(
    site_with_charger, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    _, station = site_with_charger
    first, second = partner("eMSP 1"), partner("eMSP 2")
    partner("Gone", status=Partner.Status.UNREGISTERED)
    partner("Pending", status=Partner.Status.PENDING)
    partner("No locations", modules=("credentials", "tokens"))
    woken = []
    monkeypatch.setattr(tasks.send_pushes, "delay", woken.append)

    report(station, "Charging", capture=django_capture_on_commit_callbacks)

    pushes = list(Push.objects.order_by("id"))
    assert [(p.partner, p.method, p.module, p.path, p.state) for p in pushes] == [
        (first, "PATCH", "locations", evse_path(station), "pending"),
        (second, "PATCH", "locations", evse_path(station), "pending"),
    ]
    assert pushes[0].object_key == evse_path(station).removeprefix("DE/VST/")
    assert pushes[0].body["status"] == "CHARGING" and pushes[0].body["last_updated"].endswith("Z")
    assert set(pushes[0].body) == {"status", "last_updated"}
    assert sorted(woken) == [first.pk, second.pk]


def test_a_station_not_roamed_pushes_nothing(site_with_charger, django_capture_on_commit_callbacks, eager_tasks):
    _, station = site_with_charger
    partner("eMSP")
    station.location = None
    station.save()
    report(station, "Charging", capture=django_capture_on_commit_callbacks)
    assert not Push.objects.exists()


def test_the_task_sends_in_order_and_marks_them_sent(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks
):
    _, station = site_with_charger
    emsp = partner("eMSP")

    for number, status in ((1, "Charging"), (2, "Faulted"), (1, "Available")):
        report(station, status, evse=number, capture=django_capture_on_commit_callbacks)

    assert [(m, p, b["status"]) for m, p, b in receiver.pushes()] == [
        ("PATCH", evse_path(station, 1), "CHARGING"),
        ("PATCH", evse_path(station, 2), "OUTOFORDER"),
        ("PATCH", evse_path(station, 1), "AVAILABLE"),
    ]
    assert set(Push.objects.values_list("state", "attempts")) == {("sent", 1)}
    sent = receiver.received[0]
    assert sent.headers["Authorization"] == client.authorization("emsp-token")
    assert sent.headers["OCPI-to-party-id"] == "EXA" and sent.headers["X-Request-ID"]
    assert RequestLog.objects.filter(partner=emsp, direction="out", method="PATCH", http_status=200).count() == 3


def test_a_partner_down_keeps_its_queue_with_backoff_and_gets_each_push_once_in_order_later(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks, settings
):
    settings.OCPI_PUSH_RETRY_BASE, settings.OCPI_PUSH_RETRY_MAX = 5, 20
    _, station = site_with_charger
    emsp = partner("eMSP")
    receiver.reachable = False

    for number, status in ((1, "Charging"), (2, "Faulted")):
        report(station, status, evse=number, capture=django_capture_on_commit_callbacks)

    head, second = Push.objects.order_by("id")
    # The queue stopped at the first push the partner could not take; the second wake found it backing off.
    assert (head.state, head.attempts, second.state, second.attempts) == ("pending", 1, "pending", 0)
    assert "unreachable" in head.last_error
    assert timedelta(seconds=4) < head.next_attempt_at - timezone.now() <= timedelta(seconds=5)
    assert [p for _, p, _ in receiver.pushes()] == [evse_path(station, 1)]
    assert push.due_partners() == [emsp.pk]  # the second push is due; the sender still waits for the head
    assert tasks.send_pushes(emsp.pk) == 0
    assert [push.backoff(n).seconds for n in range(1, 6)] == [5, 10, 20, 20, 20]

    receiver.received.clear()
    receiver.reachable = True
    Push.objects.update(next_attempt_at=timezone.now())  # the backoff ran out
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retry_due_pushes() == 1
    assert tasks.retry_due_pushes() == 0  # nothing left: nothing is sent twice

    assert [(p, b["status"]) for _, p, b in receiver.pushes()] == [
        (evse_path(station, 1), "CHARGING"),
        (evse_path(station, 2), "OUTOFORDER"),
    ]
    assert list(Push.objects.order_by("id").values_list("state", "attempts")) == [("sent", 2), ("sent", 1)]


def test_a_partner_given_up_on_after_the_last_attempt(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks, settings
):
    settings.OCPI_PUSH_MAX_ATTEMPTS = 1
    _, station = site_with_charger
    partner("eMSP")
    receiver.reachable = False
    report(station, "Charging", capture=django_capture_on_commit_callbacks)
    assert Push.objects.get().state == "failed"
    assert Push.objects.get().last_error.startswith("given up after 1 attempts")


def test_an_envelope_with_2001_is_a_failure_kept_for_operators_and_the_queue_goes_on(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks, admin_client
):
    _, station = site_with_charger
    partner("eMSP")
    receiver.status_code = 2001
    report(station, "Charging", capture=django_capture_on_commit_callbacks)
    receiver.status_code = 1000
    report(station, "Faulted", evse=2, capture=django_capture_on_commit_callbacks)

    refused, taken = Push.objects.order_by("id")
    assert (refused.state, refused.attempts, refused.last_error) == ("failed", 1, "2001 Success")
    assert taken.state == "sent"

    page = admin_client.get("/admin/roaming/push/?state__exact=failed")
    assert page.status_code == 200 and b"2001 Success" in page.content
    assert site._registry[Push].has_add_permission(None) is False
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(
            "/admin/roaming/push/", {"action": "retry_now", "_selected_action": [refused.pk, taken.pk]}, follow=True
        )
    assert b"Retrying the queues of 1 partner" in answer.content
    refused.refresh_from_db()
    assert (refused.state, refused.attempts, refused.last_error) == ("sent", 1, "")
    assert [p for _, p, _ in receiver.pushes()] == [evse_path(station, 1), evse_path(station, 2), evse_path(station, 1)]


def test_earlier_patches_of_one_evse_are_superseded_by_its_latest(site_with_charger, receiver):
    _, station = site_with_charger
    emsp = partner("eMSP")
    for status in ("Charging", "Faulted", "Available"):
        station.evses.get(number=1).connectors.update(status=status)
        push.push_evse_status(station_id=station.pk, evse_number=1)
    push.push_evse_status(station_id=station.pk, evse_number=2)

    assert push.send_pending(partner_id=emsp.pk) == 2
    assert [(p, b["status"]) for _, p, b in receiver.pushes()] == [
        (evse_path(station, 1), "AVAILABLE"),
        (evse_path(station, 2), "UNKNOWN"),  # it never reported a status
    ]
    assert list(Push.objects.order_by("id").values_list("state", flat=True)) == ["superseded"] * 2 + ["sent"] * 2


def test_a_station_connecting_puts_its_whole_location(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks
):
    location, station = site_with_charger
    partner("eMSP")

    with django_capture_on_commit_callbacks(execute=True):
        station_connected(station_id=station.pk, channel_name="new-channel", ocpp_version="1.6")

    [(method, path, body)] = receiver.pushes()
    assert (method, path, body["id"]) == ("PUT", f"DE/VST/{location.pk}", str(location.pk))
    assert [e["uid"] for e in body["evses"]] == [str(e.pk) for e in station.evses.order_by("number")]


def test_a_partner_registering_gets_every_location_first(site_with_charger, receiver):
    location, _ = site_with_charger
    empty = Location.objects.create(name="Empty", latitude=1, longitude=2)
    emsp = partner("eMSP")
    assert push.push_all_locations(partner=emsp) == [emsp.pk]
    assert list(Push.objects.order_by("id").values_list("method", "path")) == [
        ("PUT", f"DE/VST/{location.pk}"),
        ("PUT", f"DE/VST/{empty.pk}"),
    ]
    assert push.push_all_locations(partner=partner("Tokens only", modules=("credentials", "tokens"))) == []


@pytest.mark.parametrize(
    ("http_status", "status_code", "answers_envelope", "error"),
    [
        (404, 2003, True, "2003 Success"),  # an OCPI refusal over HTTP 4xx, as the spec answers 2xxx
        (400, 2001, True, "2001 Success"),
        (400, 0, False, "0 HTTP 400"),  # a 4xx without an envelope is still the partner's "no"
    ],
)
def test_an_http_4xx_refusal_is_kept_as_failed_and_the_queue_goes_on(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks, http_status, status_code,
    answers_envelope, error
):  # fmt: skip
    _, station = site_with_charger
    emsp = partner("eMSP")
    receiver.http_status, receiver.status_code, receiver.answers_envelope = http_status, status_code, answers_envelope
    report(station, "Charging", capture=django_capture_on_commit_callbacks)
    receiver.http_status, receiver.status_code, receiver.answers_envelope = 200, 1000, True
    report(station, "Faulted", evse=2, capture=django_capture_on_commit_callbacks)

    refused, taken = Push.objects.order_by("id")
    assert (refused.state, refused.attempts, refused.last_error) == ("failed", 1, error)
    assert taken.state == "sent"
    assert [p for _, p, _ in receiver.pushes()] == [evse_path(station, 1), evse_path(station, 2)]
    log = RequestLog.objects.filter(partner=emsp, http_status=http_status).get()
    assert log.error == f"HTTP {http_status} (refused)"


@pytest.mark.parametrize(
    ("http_status", "answers_envelope"), [(503, True), (502, False), (429, True), (408, True), (401, True)]
)
def test_an_http_5xx_408_429_or_401_is_an_outage_and_the_queue_waits(
    site_with_charger, receiver, django_capture_on_commit_callbacks, eager_tasks, http_status, answers_envelope
):
    _, station = site_with_charger
    partner("eMSP")
    receiver.http_status, receiver.status_code, receiver.answers_envelope = http_status, 3000, answers_envelope
    for number, status in ((1, "Charging"), (2, "Faulted")):
        report(station, status, evse=number, capture=django_capture_on_commit_callbacks)

    head, second = Push.objects.order_by("id")
    assert (head.state, head.attempts, second.state, second.attempts) == ("pending", 1, "pending", 0)
    assert f"HTTP {http_status}" in head.last_error or "not an OCPI envelope" in head.last_error
    assert [p for _, p, _ in receiver.pushes()] == [evse_path(station, 1)]
