"""The sessions CSV: the list's filters, streamed, money only for those who may see it, bad filters a 400 JSON."""

import csv
import io

import pytest
from django.test import AsyncClient
from django.urls import reverse

from tests.dashboard.sessions_world import finance, looker, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def exported(client, **params) -> list[dict[str, str]]:
    response = client.get(reverse("dashboard:sessions-csv"), params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="sessions.csv"'
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_sealed_session_is_one_exact_row(client, world, finance):
    client.force_login(finance)
    [row] = exported(client, driver="CARD-A")
    assert row == {
        "transaction_id": str(world.completed.pk),
        "started_at": "2026-03-05T23:30:00Z",
        "stopped_at": "2026-03-06T00:30:00Z",
        "station": "CP-BER",
        "evse": "1",
        "connector": "1",
        "id_token": "CARD-A",
        "driver_email": "dana@example.com",
        "energy_kwh": "12.345",
        "duration_s": "3600",
        "stop_reason": "Local",
        "cdr_state": "sealed",
        "currency": "EUR",
        # 12.345 kWh at 0.30 plus a 1.00 fee, 19 % VAT: 4.7035 -> 4.70, 5.597165 -> 5.60.
        "cost_excl_vat": "4.70",
        "cost_incl_vat": "5.60",
        "payment": "",
    }


def test_the_export_has_every_matching_session_newest_first(client, world, finance):
    client.force_login(finance)
    ids = [row["transaction_id"] for row in exported(client)]
    assert ids == [str(world.running.pk), str(world.failed.pk), str(world.completed.pk)]
    [failed] = exported(client, state="payment_failed")
    assert (failed["transaction_id"], failed["payment"], failed["cdr_state"]) == (
        str(world.failed.pk),
        "failed",
        "not_billed",
    )
    [running] = exported(client, state="running", site=world.berlin.location.pk)
    assert (running["stopped_at"], running["cdr_state"], running["currency"]) == ("", "running", "EUR")


def test_money_columns_are_absent_for_a_viewer_without_money(client, world, looker):
    client.force_login(looker)
    response = client.get(reverse("dashboard:sessions-csv"))
    text = b"".join(response.streaming_content).decode()
    header = text.splitlines()[0].split(",")
    assert header[-1] == "cdr_state"
    assert not {"currency", "cost_excl_vat", "cost_incl_vat", "payment"} & set(header)
    assert "EUR" not in text and "5.60" not in text


@pytest.mark.parametrize(
    ("params", "field"),
    [({"date_from": "05.03.2026"}, "date_from"), ({"station": "CP-NOPE"}, "station"), ({"site": "x"}, "site")],
)
def test_a_bad_filter_is_a_400_with_a_detail(client, world, finance, params, field):
    client.force_login(finance)
    response = client.get(reverse("dashboard:sessions-csv"), params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(f"{field}: ")


async def test_under_asgi_the_export_streams_from_an_async_iterator(transactional_db, world, finance):
    """An ASGI server gathers a sync iterator into one list before sending a byte; an async one it streams."""
    client = AsyncClient()
    await client.aforce_login(finance)
    response = await client.get(reverse("dashboard:sessions-csv"), {"driver": "CARD-A"})
    assert response.status_code == 200 and response.is_async
    text = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert [row["id_token"] for row in csv.DictReader(io.StringIO(text))] == ["CARD-A"]
