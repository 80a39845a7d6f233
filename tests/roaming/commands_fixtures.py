"""What the Commands and ChargingProfiles receiver tests share: a registered eMSP whose response_url takes
results (or is down), a connected station at a location, a fake charger behind the command port, and the
eMSP's token and session."""

import json
from dataclasses import dataclass, field
from unittest import mock

import pytest
import requests
from django.utils import timezone

from csms.ocpp import gateway
from csms.ocpp.commands import Command
from roaming import client
from roaming.models import Partner
from roaming.secrets import encrypt, token_hash
from sessions.models import AuthorizationStatus, IdTag, Transaction
from stations.models import Location
from stations.services.connections import provision_station
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import BASE, FakePartner, envelope

TOKEN_C = "token-c-of-the-emsp"
RESULTS_URL = f"{BASE}/ocpi/emsp/2.2.1/results"
UID = "04A2B3C4D5E6F7"


def token(**changes) -> dict:
    body = {
        "country_code": "NL", "party_id": "EMS", "uid": UID, "type": "RFID", "contract_id": "NL-EMS-C12345678-X",
        "issuer": "Partner eMSP", "valid": True, "whitelist": "ALLOWED", "last_updated": "2026-12-01T10:00:00Z",
    }  # fmt: skip
    return {**body, **changes}


class ResultsReceiver(FakePartner):
    """The eMSP's response_url: takes every POST under RESULTS_URL (unless unreachable)."""

    def send(self, request, **kwargs):
        if not request.url.startswith(RESULTS_URL):
            return super().send(request, **kwargs)
        self.received.append(request)
        if not self.reachable:
            raise requests.ConnectionError("connection refused")
        return self._answer(request, 200, envelope(None))

    def results(self) -> list[tuple[str, dict]]:
        return [(r.url, json.loads(r.body)) for r in self.received if r.url.startswith(RESULTS_URL)]


@pytest.fixture
def emsp_results():
    fake = ResultsReceiver(tokens={"emsp-token"})
    client.session.mount(BASE, fake)
    yield fake
    client.session.adapters.pop(BASE, None)


@pytest.fixture
def emsp(db):
    return Partner.objects.create(
        name="Partner eMSP",
        country_code="NL",
        party_id="EMS",
        roles=[{"role": "EMSP", "country_code": "NL", "party_id": "EMS", "business_details": {"name": "P"}}],
        status=Partner.Status.REGISTERED,
        our_token_hash=token_hash(TOKEN_C),
        their_token_encrypted=encrypt("emsp-token"),
    )


@pytest.fixture
def hub(emsp):
    """The eMSP partner speaks for a second party, BE*EMB (a hub); its first role is NL*EMS."""
    emsp.roles = [*emsp.roles, {"role": "EMSP", "country_code": "BE", "party_id": "EMB", "business_details": {}}]
    emsp.save()
    return emsp


def to_party(emsp_results: ResultsReceiver) -> list[tuple[str, str]]:
    """The OCPI-to-* of each result POSTed: the party a hub routes it to."""
    return [(r.headers["OCPI-to-country-code"], r.headers["OCPI-to-party-id"]) for r in emsp_results.received]


@pytest.fixture
def headers(emsp):
    return auth(TOKEN_C)


@pytest.fixture
def site(db):
    """An accepted, connected station with two EVSEs at a location: (location, station)."""
    location = Location.objects.create(name="Depot", latitude=52.5, longitude=13.4)
    station = provision_station(charge_point_id="CP-1", password="a-long-password", location=location, evse_count=2)
    station.connection_channel = "test-channel"
    station.connected_at = timezone.now()
    station.ocpp_version = "1.6"
    station.save()
    return location, station


@dataclass
class FakeCharger:
    """The command port's far end: every command it got; answers Accepted, or raises `failure`."""

    sent: list[Command] = field(default_factory=list)
    failure: Exception | None = None
    data: dict = field(default_factory=dict)

    async def dispatch(self, *, station_id, command):
        self.sent.append(command)
        if self.failure is not None:
            raise self.failure
        return gateway.Reply(action=type(command).__name__, status="Accepted", data=self.data)


@pytest.fixture
def charger():
    fake = FakeCharger()
    with mock.patch.object(gateway, "dispatch", fake.dispatch):
        yield fake


@pytest.fixture
def session(site):
    """A running session on EVSE 1 charged on the eMSP's token."""
    _, station = site
    tag = IdTag.objects.create(id_tag=UID, issuer_party="NL*EMS", contract_id="NL-EMS-1", issuer_name="P")
    connector = station.evses.get(number=1).connectors.get()
    return Transaction.objects.create(
        station=station,
        connector=connector,
        id_tag=tag,
        id_tag_value=UID,
        authorization_status=AuthorizationStatus.ACCEPTED,
        meter_start_wh=0,
        started_at=timezone.now(),
    )


def post(client, url: str, body, headers: dict):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)
