"""The Sessions and CDRs modules as a partner pulls them from us: only its tokens' sessions, in pages, and
CDRs whose every total is our sealed record's (and so our invoice's) to the cent."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.services import register_driver
from billing.invoices import per_session
from billing.services import price_running_session, seal_session
from roaming import schemas
from roaming.mapping.sessions import volume
from sessions.models import IdTag, Transaction
from tests.roaming.conftest import auth
from tests.roaming.ocpi_shapes import assert_ocpi
from tests.roaming.sessions_world import (
    OTHER_TOKEN_C,
    TOKEN_C,
    partner,
    site,
    stored_session,
    token,
)

pytestmark = pytest.mark.django_db

SESSIONS = "/ocpi/2.2.1/sessions"
CDRS = "/ocpi/2.2.1/cdrs"
BASE = "http://127.0.0.1:8000"
BE_ROLE = {"role": "EMSP", "country_code": "BE", "party_id": "EXB", "business_details": {"name": "eMSP BE"}}


@pytest.fixture
def world(db):
    """Sessions of the eMSP's two parties' tokens (NL*EXA, BE*EXB), another partner's and one of our own.

    Each one's times are its hour after START: last_updated of the n-th is START + n h + 1 h."""
    station = site()
    partner("eMSP", TOKEN_C, country_code="NL", party_id="EXA", roles=[BE_ROLE])
    partner("Other", OTHER_TOKEN_C, country_code="FR", party_id="OTH")
    nl, be, fr = token("NL-1", "NL*EXA"), token("BE-1", "BE*EXB"), token("FR-1", "FR*OTH")
    own = IdTag.objects.create(id_tag="OWN-1")
    sessions = [stored_session(station, tag, n=n, stopped=n < 4) for n, tag in enumerate([nl, be, fr, own, nl])]
    for tx in sessions:
        Transaction.objects.filter(pk=tx.pk).update(updated_at=tx.started_at + timedelta(hours=1))
    return sessions


def ids(response) -> list[str]:
    return [item["id"] for item in response.json()["data"]]


def next_link(response) -> str | None:
    link = response.get("Link")
    return link and link.split(";")[0].strip()[1:-1]


def test_a_partner_sees_the_sessions_of_the_tokens_its_parties_issued(client, world):
    response = client.get(SESSIONS, **auth(TOKEN_C))
    assert response.status_code == 200 and response.json()["status_code"] == 1000
    assert ids(response) == [str(world[n].pk) for n in (0, 1, 4)]
    for data in response.json()["data"]:
        assert_ocpi(schemas.SESSION, data)
    assert ids(client.get(SESSIONS, **auth(OTHER_TOKEN_C))) == [str(world[2].pk)]


def test_a_running_session_with_the_cost_billing_stored_after_its_last_reading(client, world):
    running = world[4]
    assert "total_cost" not in client.get(SESSIONS, **auth(TOKEN_C)).json()["data"][-1]  # a list never prices
    price_running_session(transaction_id=running.pk)  # what billing does after each reading
    data = client.get(SESSIONS, **auth(TOKEN_C)).json()["data"][-1]
    connector = running.connector
    assert {k: data[k] for k in ("id", "status", "kwh", "location_id", "evse_uid", "connector_id", "currency")} == {
        "id": str(running.pk),
        "status": "ACTIVE",
        "kwh": 10,  # the latest register reading, 1 010 000 Wh, less the start
        "location_id": str(running.station.location_id),
        "evse_uid": str(connector.evse_id),
        "connector_id": "1",
        "currency": "EUR",
    }
    assert data["cdr_token"] == {
        "country_code": "NL", "party_id": "EXA", "uid": "NL-1", "type": "RFID", "contract_id": "NL-1-C",
    }  # fmt: skip
    assert (data["country_code"], data["party_id"], data["auth_method"]) == ("DE", "VST", "WHITELIST")
    assert "end_date_time" not in data and "authorization_reference" not in data
    # 0.50 flat + 10 kWh at 0.25, priced after the last reading: excl. VAT and incl. 20 % and 10 %.
    assert data["total_cost"] == {"excl_vat": 3, "incl_vat": 3.35}
    assert data["charging_periods"] == []  # the periods so far travel with the PUTs we push, and the CDR


def test_a_sealed_session_is_completed_with_the_records_cost(client, world):
    seal_session(transaction_id=world[0].pk)
    data = client.get(SESSIONS, **auth(TOKEN_C)).json()["data"][0]
    assert_ocpi(schemas.SESSION, data)
    assert (data["status"], data["kwh"], data["end_date_time"]) == ("COMPLETED", 20, "2025-03-05T10:00:00Z")
    assert data["total_cost"] == {"excl_vat": 5.5, "incl_vat": 6.1}


def test_sessions_in_pages_with_the_filters_in_the_next_link(client, world):
    query = "date_from=2025-03-05T10:30:00Z"
    url, pages = f"{SESSIONS}?{query}&limit=1", []
    while url:
        response = client.get(url.removeprefix(BASE), **auth(TOKEN_C))
        assert (response["X-Total-Count"], response["X-Limit"]) == ("2", "1")
        pages.append(ids(response))
        url = next_link(response)
        if url:
            assert parse_qs(urlsplit(url).query)["date_from"] == ["2025-03-05T10:30:00Z"]
    assert pages == [[str(world[1].pk)], [str(world[4].pk)]]
    bounded = client.get(f"{SESSIONS}?{query}&date_to=2025-03-05T13:00:00Z", **auth(TOKEN_C))
    assert ids(bounded) == [str(world[1].pk)]


def test_a_malformed_parameter_is_the_partners_error(client, world):
    response = client.get(f"{SESSIONS}?limit=none", **auth(TOKEN_C))
    assert response.json()["status_code"] == 2001


def test_the_cdrs_of_a_partners_tokens_with_every_total_of_the_record(client, world):
    records = [seal_session(transaction_id=world[n].pk) for n in (0, 1, 2)]
    response = client.get(CDRS, **auth(TOKEN_C))
    assert response.status_code == 200 and response["X-Total-Count"] == "2"
    assert ids(response) == [str(records[0].pk), str(records[1].pk)]
    for data, record in zip(response.json()["data"], records, strict=False):
        assert_ocpi(schemas.CDR, data)
        for tariff in data["tariffs"]:
            assert_ocpi(schemas.TARIFF, tariff)
        assert data["session_id"] == str(record.transaction_id)
        for name in ("total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
                     "total_reservation_cost"):  # fmt: skip
            assert Decimal(str(data[name]["excl_vat"])) == getattr(record, f"{name}_excl_vat")
            assert Decimal(str(data[name]["incl_vat"])) == getattr(record, f"{name}_incl_vat")
        assert (data["total_energy"], data["total_time"], data["total_parking_time"]) == (20, 1, 0)
        assert data["tariffs"][0]["id"] == "STD" and data["currency"] == "EUR"
    assert ids(client.get(CDRS, **auth(OTHER_TOKEN_C))) == [str(records[2].pk)]


def test_the_cdr_location_is_where_the_locations_module_says_it_charged(client, world):
    seal_session(transaction_id=world[0].pk)
    location = client.get(CDRS, **auth(TOKEN_C)).json()["data"][0]["cdr_location"]
    tx = world[0]
    assert location == {
        "id": str(tx.station.location_id),
        "name": "Depot",
        "address": "Hauptstr. 1",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DEU",
        "coordinates": {"latitude": "52.500000", "longitude": "13.400000"},
        "evse_uid": str(tx.connector.evse_id),
        "evse_id": f"DE*VST*E{tx.station_id:05d}*1",
        "connector_id": "1",
        "connector_standard": tx.connector.standard,
        "connector_format": tx.connector.format,
        "connector_power_type": tx.connector.power_type,
    }
    evse = client.get(f"/ocpi/2.2.1/locations/{location['id']}/{location['evse_uid']}", **auth(TOKEN_C))
    assert evse.json()["data"]["evse_id"] == location["evse_id"]


def test_the_cdr_total_is_the_invoice_total_to_the_cent(client, world, settings, tmp_path):
    """A token of the eMSP's whose driver we also bill (an odd case, but one invoice to compare with)."""
    settings.INVOICE_STORAGE_DIR = tmp_path
    IdTag.objects.filter(id_tag="NL-1").update(
        owner=register_driver(email="dana@example.com", password="a-fine-password-42", first_name="D", last_name="M")
    )
    record = seal_session(transaction_id=world[0].pk)
    invoice = per_session.invoice_session(cdr=record)
    data = client.get(CDRS, **auth(TOKEN_C)).json()["data"][0]
    total = (Decimal(str(data["total_cost"]["excl_vat"])), Decimal(str(data["total_cost"]["incl_vat"])))
    assert total == (invoice.total_excl_vat, invoice.total_incl_vat) == (Decimal("5.50"), Decimal("6.10"))


def test_sessions_and_cdrs_are_listed_in_our_version_details(client, world):
    endpoints = client.get("/ocpi/2.2.1", **auth(TOKEN_C)).json()["data"]["endpoints"]
    listed = {(e["identifier"], e["role"]): e["url"] for e in endpoints}
    assert listed[("sessions", "SENDER")].endswith(SESSIONS) and listed[("cdrs", "SENDER")].endswith(CDRS)


def test_a_cdr_is_the_same_cdr_after_its_location_and_token_change(client, world):
    """mod_cdrs: a CDR holds the Location, EVSE and Token as they were, and is never changed once sent."""
    seal_session(transaction_id=world[0].pk)
    before = client.get(CDRS, **auth(TOKEN_C)).json()["data"][0]
    location = world[0].station.location
    location.name, location.address, location.city = "Renamed depot", "Neue Str. 9", "Potsdam"
    location.save()
    IdTag.objects.filter(id_tag="NL-1").update(contract_id="NL-1-REISSUED", token_type="APP_USER")
    after = client.get(CDRS, **auth(TOKEN_C)).json()["data"][0]
    assert after == before
    assert (after["cdr_location"]["name"], after["cdr_token"]["contract_id"]) == ("Depot", "NL-1-C")
    assert client.get(SESSIONS, **auth(TOKEN_C)).json()["data"][0]["cdr_token"]["contract_id"] == "NL-1-REISSUED"


def test_volumes_go_out_with_at_most_4_decimals_and_the_costs_stay_the_records(client, world):
    """OCPI types: numbers use 4 decimals. A 20-minute session is 0.333333 h in billing, 0.3333 h on the wire."""
    station = world[0].station
    tx = stored_session(station, IdTag.objects.get(id_tag="NL-1"), n=6, minutes=20, kwh=7)
    record = seal_session(transaction_id=tx.pk)
    data = next(cdr for cdr in client.get(CDRS, **auth(TOKEN_C)).json()["data"] if cdr["id"] == str(record.pk))
    assert_ocpi(schemas.CDR, data)
    assert (data["total_energy"], data["total_time"], data["total_parking_time"]) == (7, 0.3333, 0)
    volumes = [d["volume"] for p in data["charging_periods"] for d in p["dimensions"] if d["type"] == "TIME"]
    assert volumes and all(v == round(v, 4) for v in volumes) and sum(volumes) == pytest.approx(0.3333, abs=1e-4)
    assert data["total_cost"] == {"excl_vat": 2.25, "incl_vat": 2.53}  # 0.60 + 1.925 incl. VAT, to the cent
    assert (Decimal(str(data["total_cost"]["excl_vat"])), Decimal(str(data["total_cost"]["incl_vat"]))) == (
        record.total_cost_excl_vat,
        record.total_cost_incl_vat,
    )


@pytest.mark.parametrize(
    ("exact", "sent"),
    [("0.333333", "0.3333"), ("0.00005", "0.0001"), ("0.00004999", "0"), ("1.23456", "1.2346"), ("7", "7")],
)
def test_a_volume_is_rounded_half_up_to_4_decimals(exact, sent):
    assert volume(Decimal(exact)) == Decimal(sent)
