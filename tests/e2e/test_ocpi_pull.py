"""An independent eMSP (tests/e2e/ocpi_partner) registers with a running Voltstack and pulls our locations
and tariffs page by page, checking every object against its own OCPI 2.2.1 models."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
from csms.embedded import free_port
from roaming.models import Partner
from roaming.services.registration import issue_token_a
from stations.models import ChargingStation, Connector, Evse, Location, RegistrationStatus
from tests.conftest import AsgiServer, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ocpi_server(django_db_setup, django_db_blocker):
    """Our server, on a port chosen first so that OCPI_BASE_URL (the URLs we advertise) is its own."""
    port = free_port()
    with django_db_blocker.unblock():
        env = server_env(OCPI_BASE_URL=f"http://127.0.0.1:{port}")
    server = AsgiServer(env, port=port)
    yield server
    server.stop()


@pytest.fixture
def demo(transactional_db):
    """The demo's sites, stations and tariff, a fast-charging tariff on the DC station's EVSE, and a pending
    station whose site partners must not see."""
    call_command("seed_demo", stdout=io.StringIO())
    fast = Tariff.objects.create(tariff_id="DEMO-DC", currency="EUR")
    element = TariffElement.objects.create(tariff=fast, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.5900"), vat=Decimal("19"))
    TariffAssignment.objects.create(tariff=fast, evse=Evse.objects.get(station__charge_point_id="DEMO-0003"))
    hidden = Location.objects.create(name="Not yet open", latitude=52.4, longitude=13.3)
    station = ChargingStation.objects.create(
        charge_point_id="PENDING-1", location=hidden, registration_status=RegistrationStatus.PENDING
    )
    Connector.objects.create(evse=Evse.objects.create(station=station, number=1), number=1)
    return hidden


def test_the_partner_registers_and_pulls_our_locations_and_tariffs(ocpi_server, ocpi_partner, demo):
    partner = Partner.objects.create(name="Independent eMSP")
    token_a = issue_token_a(partner=partner)
    registered = ocpi_partner.control(
        "POST", "/register", {"versions_url": f"{ocpi_server.http_url}/ocpi/versions", "token_a": token_a}
    )
    assert registered["registered"], registered
    partner.refresh_from_db()
    assert partner.status == Partner.Status.REGISTERED

    expected = [
        str(pk)
        for pk in Location.objects.filter(stations__registration_status=RegistrationStatus.ACCEPTED)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    assert len(expected) >= 2 and str(demo.pk) not in expected
    pulled = ocpi_partner.control("GET", "/pull/locations?limit=1")
    assert pulled["errors"] == []
    assert pulled["ids"] == expected and pulled["count"] == len(expected)
    assert len(pulled["pages"]) == len(expected)
    assert all(p["http_status"] == 200 and p["status_code"] == 1000 for p in pulled["pages"])
    assert all(p["url"].startswith(f"{ocpi_server.http_url}/ocpi/2.2.1/locations?") for p in pulled["pages"])
    # Each location holds exactly its accepted stations' EVSEs, each connector the tariff billing assigns it.
    fast_evse = Evse.objects.get(station__charge_point_id="DEMO-0003")
    for location in pulled["objects"]:
        evses = Evse.objects.filter(station__location_id=int(location["id"]))
        assert sorted(e["uid"] for e in location["evses"]) == sorted(str(e.pk) for e in evses)
        for evse in location["evses"]:
            expected_tariff = "DEMO-DC" if evse["uid"] == str(fast_evse.pk) else "DEMO-AC"
            assert [c["tariff_ids"] for c in evse["connectors"]] == [[expected_tariff]]
            # What our Commands and ChargingProfiles receivers take (never RFID_READER: we cannot know it).
            assert evse["capabilities"] == [
                "CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE",
            ]  # fmt: skip

    tariffs = ocpi_partner.control("GET", "/pull/tariffs?limit=1")
    assert tariffs["errors"] == []
    assert tariffs["ids"] == ["DEMO-AC", "DEMO-DC"] and tariffs["count"] == 2 and len(tariffs["pages"]) == 2
    prices = [
        (c["type"], c["price"], c["vat"]) for t in tariffs["objects"] for c in t["elements"][0]["price_components"]
    ]
    assert prices == [("ENERGY", 0.35, 19), ("PARKING_TIME", 6, 19), ("ENERGY", 0.59, 19)]
