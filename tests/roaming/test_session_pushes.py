"""Session PUTs and the CDR POST, as the partner whose token charged receives them: at the start, while
charging (at most once per OCPI_SESSION_PUSH_INTERVAL, a later PUT superseding a waiting one), at the
stop, and the CDR once when billing seals the session; nothing to any other partner."""

import importlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from billing.models import ChargeDetailRecord
from billing.services import seal_session
from roaming import schemas, tasks
from roaming.models import CdrSnapshot, Push
from roaming.services import cdr_snapshots, push, session_pushes
from sessions.meter import Sample
from sessions.models import IdTag
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import BASE, FakePartner, envelope
from tests.roaming.ocpi_shapes import assert_ocpi
from tests.roaming.sessions_world import OTHER_TOKEN_C, TOKEN_C, partner, site, stored_session, token

pytestmark = pytest.mark.django_db

SESSIONS_URL = f"{BASE}/ocpi/2.2.1/sessions"
CDRS_URL = f"{BASE}/ocpi/2.2.1/cdrs"


class Receivers(FakePartner):
    """The fake eMSP's sessions and cdrs receivers: take every PUT and POST (while reachable)."""

    def send(self, request, **kwargs):
        if not request.url.startswith((SESSIONS_URL, CDRS_URL)):
            return super().send(request, **kwargs)
        self.received.append(request)
        if not self.reachable:
            raise requests.ConnectionError("connection refused")
        return self._answer(request, 200, envelope(None))

    def pushes(self) -> list[tuple[str, str, dict]]:
        return [(r.method, r.url.removeprefix(BASE), json.loads(r.body)) for r in self.received]


@pytest.fixture
def receivers():
    from roaming import client

    fake = Receivers()
    client.session.mount(BASE, fake)
    yield fake
    client.session.adapters.pop(BASE, None)


@pytest.fixture
def world(db, eager_tasks, monkeypatch):
    """The station, the token owner (NL*EXA), another partner with receivers too; held pushes recorded."""
    cache.delete_many([f"{tasks.SESSION_PUSH_HELD_KEY}{n}" for n in range(1, 50)])
    held = []
    monkeypatch.setattr(tasks.push_session_later, "apply_async", lambda args, countdown: held.append(args[0]))
    station = site()
    owner = partner("eMSP", TOKEN_C, country_code="NL", party_id="EXA")
    partner("Other", OTHER_TOKEN_C, country_code="FR", party_id="OTH")
    token("NL-1", "NL*EXA")
    return station, owner, held


def start(station, capture, *, id_tag="NL-1"):
    with capture(execute=True):
        return start_transaction(
            station_id=station.pk, evse_number=1, id_tag=id_tag, meter_start_wh=1_000_000, started_at=timezone.now()
        ).transaction


def readings(station, tx, wh, capture):
    with capture(execute=True):
        record_meter_values(
            station_id=station.pk,
            evse_number=1,
            transaction_id=tx.pk,
            samples=[Sample(timestamp=timezone.now(), value=str(wh), unit="Wh")],
        )


def stop(station, tx, wh, capture):
    with capture(execute=True):
        stop_transaction(station_id=station.pk, transaction_id=tx.pk, meter_stop_wh=wh, stopped_at=timezone.now())


def test_the_start_is_put_to_the_token_owner_only(world, receivers, django_capture_on_commit_callbacks):
    station, _, _ = world
    tx = start(station, django_capture_on_commit_callbacks)
    [(method, path, body)] = receivers.pushes()
    assert (method, path) == ("PUT", f"/ocpi/2.2.1/sessions/DE/VST/{tx.pk}")
    assert_ocpi(schemas.SESSION, body)
    assert (body["id"], body["status"], body["kwh"], body["cdr_token"]["uid"]) == (str(tx.pk), "ACTIVE", 0, "NL-1")
    assert [p.partner.name for p in Push.objects.all()] == ["eMSP"]


def test_our_own_tokens_sessions_go_to_no_partner(world, receivers, django_capture_on_commit_callbacks):
    station, _, _ = world
    IdTag.objects.create(id_tag="OWN-1")
    start(station, django_capture_on_commit_callbacks, id_tag="OWN-1")
    assert receivers.pushes() == [] and not Push.objects.exists()


def test_readings_within_the_interval_are_held_back_for_one_later_put(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    settings.OCPI_SESSION_PUSH_INTERVAL = 3600
    station, _, held = world
    tx = start(station, django_capture_on_commit_callbacks)
    readings(station, tx, 1_004_000, django_capture_on_commit_callbacks)
    readings(station, tx, 1_008_000, django_capture_on_commit_callbacks)
    assert [m for m, _, _ in receivers.pushes()] == ["PUT"]  # the start's alone
    assert held == [tx.pk]  # one delayed push for all the changes since
    with django_capture_on_commit_callbacks(execute=True):
        tasks.push_session_later(tx.pk)
    body = receivers.pushes()[-1][2]
    assert_ocpi(schemas.SESSION, body)
    assert body["kwh"] == 8 and body["total_cost"] == {"excl_vat": 2.5, "incl_vat": 2.8}


def test_readings_after_the_interval_are_put_with_the_cost_so_far(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    settings.OCPI_SESSION_PUSH_INTERVAL = 0
    station, _, held = world
    tx = start(station, django_capture_on_commit_callbacks)
    readings(station, tx, 1_004_000, django_capture_on_commit_callbacks)
    bodies = [body for _, _, body in receivers.pushes()]
    assert held == [] and len(bodies) >= 2
    assert bodies[-1]["kwh"] == 4 and bodies[-1]["total_cost"] == {"excl_vat": 1.5, "incl_vat": 1.7}


def test_the_stop_is_put_completed_and_the_sealed_cdr_posted_once(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    settings.OCPI_SESSION_PUSH_INTERVAL = 3600
    station, owner, _ = world
    tx = start(station, django_capture_on_commit_callbacks)
    readings(station, tx, 1_010_000, django_capture_on_commit_callbacks)
    stop(station, tx, 1_020_000, django_capture_on_commit_callbacks)  # billing's chain seals it, eagerly

    sessions = [body for method, path, body in receivers.pushes() if method == "PUT"]
    assert sessions[0]["status"] == "ACTIVE" and sessions[-1]["status"] == "COMPLETED"
    assert sessions[-1]["kwh"] == 20 and "end_date_time" in sessions[-1]
    record = ChargeDetailRecord.objects.get(transaction=tx)
    [(path, cdr)] = [(path, body) for method, path, body in receivers.pushes() if method == "POST"]
    assert path == "/ocpi/2.2.1/cdrs"  # POSTed to the endpoint itself
    assert_ocpi(schemas.CDR, cdr)
    assert (cdr["id"], cdr["session_id"]) == (str(record.pk), str(tx.pk))
    assert cdr["total_cost"] == {"excl_vat": 5.5, "incl_vat": 6.1}
    assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("5.50"), Decimal("6.10"))

    with django_capture_on_commit_callbacks(execute=True):  # a resumed chain seals it again
        seal_session(transaction_id=tx.pk)
    assert len([m for m, _, _ in receivers.pushes() if m == "POST"]) == 1
    assert Push.objects.get(module="cdrs").state == Push.State.SENT
    assert {p.partner_id for p in Push.objects.all()} == {owner.pk}


def test_a_waiting_put_of_a_session_is_superseded_by_a_later_one(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    """The partner down for a while: of the session's PUTs waiting, only the newest is sent."""
    settings.OCPI_SESSION_PUSH_INTERVAL = 0
    station, owner, _ = world
    receivers.reachable = False
    tx = start(station, django_capture_on_commit_callbacks)
    readings(station, tx, 1_004_000, django_capture_on_commit_callbacks)
    receivers.reachable, receivers.received = True, []
    Push.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    assert push.send_pending(partner_id=owner.pk) == 1
    [(method, _, body)] = receivers.pushes()
    assert (method, body["kwh"]) == ("PUT", 4)
    states = list(Push.objects.order_by("id").values_list("state", flat=True))
    assert states[-1] == Push.State.SENT and set(states[:-1]) == {Push.State.SUPERSEDED}


def test_a_put_waiting_behind_a_push_of_its_part_is_not_superseded(world):
    """A location's PUT, then its EVSE's PATCH, then the location's PUT again: the EVSE needs the first."""
    _, owner, _ = world
    common = {"module": "locations", "partners": [owner], "body": {}}
    push.enqueue(object_key="1", method="PUT", path="DE/VST/1", **common)
    push.enqueue(object_key="1/7", method="PATCH", path="DE/VST/1/7", **common)
    push.enqueue(object_key="1", method="PUT", path="DE/VST/1", **common)
    first, _, _ = Push.objects.order_by("id")
    assert not push._superseded(first)


def test_the_cdr_is_queued_once_whoever_announces_it_again(world, receivers):
    station, owner, _ = world
    tag = IdTag.objects.get(id_tag="NL-1")
    tx = stored_session(station, tag)
    record = seal_session(transaction_id=tx.pk)
    assert session_pushes.push_cdr(record_id=record.pk) == [owner.pk]
    assert session_pushes.push_cdr(record_id=record.pk) == []
    assert Push.objects.filter(module="cdrs").count() == 1


def test_a_hubs_partys_session_and_cdr_name_that_party_in_ocpi_to(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    """A hub speaks for several parties: the session and its CDR are addressed to the token's issuer behind it."""
    settings.OCPI_SESSION_PUSH_INTERVAL = 3600
    station, _, _ = world
    hub_roles = [{"role": "HUB", "country_code": "DE", "party_id": "HUB"},
                 {"role": "EMSP", "country_code": "BE", "party_id": "BEM"}]  # fmt: skip
    partner("Hub", "hub-token-c", country_code="DE", party_id="HUB", roles=hub_roles)
    token("BE-1", "BE*BEM")
    tx = start(station, django_capture_on_commit_callbacks, id_tag="BE-1")
    stop(station, tx, 1_002_000, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        seal_session(transaction_id=tx.pk)
    sent = [(r.method, r.headers["OCPI-to-country-code"], r.headers["OCPI-to-party-id"]) for r in receivers.received]
    assert sent == [("PUT", "BE", "BEM"), ("PUT", "BE", "BEM"), ("POST", "BE", "BEM")]
    assert {p.partner.name for p in Push.objects.all()} == {"Hub"}


def test_the_posted_cdr_is_the_cdr_get_lists_whatever_changed_since(world, receivers, client):
    station, owner, _ = world
    tx = stored_session(station, IdTag.objects.get(id_tag="NL-1"))
    record = seal_session(transaction_id=tx.pk)
    session_pushes.push_cdr(record_id=record.pk)
    location = station.location
    location.name = "Renamed depot"
    location.save()
    IdTag.objects.filter(id_tag="NL-1").update(contract_id="NL-1-REISSUED")
    assert push.send_pending(partner_id=owner.pk) == 1  # sent after the change: the CDR as first mapped

    [(_, _, posted)] = receivers.pushes()
    [listed] = client.get("/ocpi/2.2.1/cdrs", **auth(TOKEN_C)).json()["data"]
    assert posted == listed
    assert (posted["cdr_location"]["name"], posted["cdr_token"]["contract_id"]) == ("Depot", "NL-1-C")
    assert CdrSnapshot.objects.get().record == record


def test_a_cdr_mapped_twice_keeps_one_body(world):
    station, _, _ = world
    record = seal_session(transaction_id=stored_session(station, IdTag.objects.get(id_tag="NL-1")).pk)
    first = cdr_snapshots.cdr_body(record)
    station.location.name = "Renamed depot"
    station.location.save()
    assert cdr_snapshots.cdr_body(ChargeDetailRecord.objects.get(pk=record.pk)) == first
    assert CdrSnapshot.objects.count() == 1


def test_a_cdr_posted_before_snapshots_existed_is_kept_as_posted(world):
    """roaming 0011 keeps each CDR already queued as the body that went out, not as it would map now."""
    from django.apps import apps

    keep = importlib.import_module("roaming.migrations.0011_cdr_snapshot").keep_the_posted_cdrs
    station, owner, _ = world
    record = seal_session(transaction_id=stored_session(station, IdTag.objects.get(id_tag="NL-1")).pk)
    sent = {"id": str(record.pk), "cdr_location": {"name": "Depot as it was"}}
    common = {"module": "cdrs", "partners": [owner], "method": "POST", "path": ""}
    push.enqueue(object_key=str(record.pk), body=sent, **common)
    push.enqueue(object_key="424242", body={"id": "424242"}, **common)  # a record since deleted: nothing to keep
    keep(apps, None)
    assert list(CdrSnapshot.objects.values_list("record_id", "body")) == [(record.pk, sent)]
    assert cdr_snapshots.cdr_body(record) == sent


def test_a_push_held_back_that_fires_after_the_stop_with_nothing_new_is_not_sent(
    world, receivers, django_capture_on_commit_callbacks, settings
):
    """The partner heard COMPLETED at the stop; the delayed PUT of a reading before it tells nothing more."""
    settings.OCPI_SESSION_PUSH_INTERVAL = 3600
    station, _, held = world
    tx = start(station, django_capture_on_commit_callbacks)
    readings(station, tx, 1_004_000, django_capture_on_commit_callbacks)
    stop(station, tx, 1_004_000, django_capture_on_commit_callbacks)

    def statuses():
        return [b["status"] for m, path, b in receivers.pushes() if m == "PUT" and "/sessions/" in path]

    assert held == [tx.pk] and statuses() == ["ACTIVE", "COMPLETED"]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.push_session_later(tx.pk)
    assert statuses() == ["ACTIVE", "COMPLETED"]


def test_a_reading_of_a_session_on_our_own_token_costs_roaming_one_query(
    world, receivers, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Every MeterValues frame reaches roaming's subscriber: for our own drivers it must stay cheap."""
    station, _, _ = world
    IdTag.objects.create(id_tag="OWN-2")
    tx = start(station, django_capture_on_commit_callbacks, id_tag="OWN-2")
    with django_assert_num_queries(1):
        assert session_pushes.push_running_session(transaction_id=tx.pk) == ([], None)
