"""The driver's whole journey through a real server, a Celery worker and a charger speaking OCPP 1.6:
sign up → find → start → live events → stop → history."""

import asyncio
import csv
import io
import json
import uuid
from decimal import Decimal

import pytest
import requests
import stripe
from asgiref.sync import sync_to_async
from django.conf import settings

from billing.models import (
    ChargeDetailRecord,
    Invoice,
    Payment,
    PaymentCustomer,
    PriceComponent,
    StripeEvent,
    Tariff,
    TariffAssignment,
    TariffElement,
)
from sessions.models import DriverSession, Transaction
from stations.models import Location
from tests.api_client import DriverApp, next_message, session_until
from tests.billing.localstripe_server import amount_received
from tests.billing.localstripe_server import save_card as stripe_save_card
from tests.billing.test_invoices import pdf_text
from tests.conftest import eventually
from tests.e2e.test_ocpp16_session import BOOT, status
from tests.ocpp_client import answer, call, open_socket

pytestmark = pytest.mark.e2e


def energy_and_start_fee_tariff(location: Location) -> None:
    """0.30 EUR/kWh and 0.50 EUR per session, both plus 20 % VAT."""
    tariff = Tariff.objects.create(tariff_id=f"T-{location.pk}", currency="EUR")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.30"), vat=Decimal("20"), step_size=1)
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("0.50"), vat=Decimal("20"), step_size=1)
    TariffAssignment.objects.create(tariff=tariff, location=location)


async def charger_online(server, make_station, charge_point_id: str, *, priced: bool = False):
    """A 1.6 charger connected and Available on both connectors; with `priced`, its location has a tariff."""
    location = await sync_to_async(Location.objects.create)(
        name="Journey Depot",
        address="Alexanderplatz 1",
        city="Berlin",
        postal_code="10178",
        latitude=Decimal("52.521918"),
        longitude=Decimal("13.413215"),
    )
    if priced:
        await sync_to_async(energy_and_start_fee_tariff)(location)
    await make_station(charge_point_id, evse_count=2, location=location)
    ws = await open_socket(server, charge_point_id)
    await call(ws, "BootNotification", BOOT)
    read = await answer(ws, follow_ups=True)  # a compliant charger answers the configuration read that follows
    assert read[2] == "GetConfiguration"
    await reply_to(ws, read, {"configurationKey": []})
    for connector in (1, 2):
        await call(ws, "StatusNotification", status(connector, "Available", "2026-11-21T09:00:00Z"))
    return ws


async def reply_to(ws, frame: list, payload: dict) -> None:
    await ws.send(json.dumps([3, frame[1], payload]))


async def save_card(app: DriverApp, localstripe, card: str = "pm_card_visa") -> str:
    """What the app does: ask for a SetupIntent, confirm it with the card through Stripe."""
    secret = (await app.post("/api/v1/payment-methods/setup-intent")).body["client_secret"]
    customer = await sync_to_async(lambda: PaymentCustomer.objects.get().stripe_customer_id)()
    return await asyncio.to_thread(stripe_save_card, localstripe.client(), secret, customer, card)


async def test_sign_up_find_start_watch_stop_and_read_history(server, celery_worker, make_station, localstripe):
    localstripe.flush()
    ws_charger = await charger_online(server, make_station, "JOURNEY-1", priced=True)
    app = DriverApp(server)
    account = await app.sign_up("dana@example.com")
    app_token = account["profile"]["app_token"]
    assert app_token.startswith("APP") and len(app_token) == 20
    no_card = await app.post("/api/v1/sessions", {"station_id": "JOURNEY-1", "evse_id": 1})
    assert (no_card.status, no_card.body["code"]) == (402, "payment_method_required")
    await save_card(app, localstripe)

    found = await app.get("/api/v1/stations", lat="52.5200", lon="13.4050", radius_km="5")
    assert found.status == 200, found.body
    station = next(s for s in found.body["results"] if s["id"] == "JOURNEY-1")
    assert {e["status"] for e in station["evses"]} == {"AVAILABLE"}

    key = str(uuid.uuid4())
    started = await app.post(
        "/api/v1/sessions",
        {"station_id": "JOURNEY-1", "evse_id": 1, "max_power_kw": 7.4},
        headers={"Idempotency-Key": key},
    )
    assert started.status == 202, started.body
    assert started.body["state"] == "pending" and started.body["energy_kwh"] is None
    session_id = started.body["id"]

    async with app.live(f"/ws/v1/sessions/{session_id}") as live:
        assert (await next_message(live))["session"]["state"] == "pending"

        remote_start = await answer(ws_charger)
        assert remote_start[2] == "RemoteStartTransaction"
        payload = remote_start[3]
        assert payload["idTag"] == app_token and payload["connectorId"] == 1
        profile = payload["chargingProfile"]
        assert profile["chargingProfilePurpose"] == "TxProfile"
        assert profile["chargingSchedule"]["chargingRateUnit"] == "W"
        assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 7400.0}]
        await reply_to(ws_charger, remote_start, {"status": "Accepted"})

        retried = await app.post(
            "/api/v1/sessions",
            {"station_id": "JOURNEY-1", "evse_id": 1, "max_power_kw": 7.4},
            headers={"Idempotency-Key": key},
        )
        assert retried.status == 202 and retried.body["id"] == session_id
        assert retried.headers.get("Idempotent-Replayed") == "true"

        start = await call(
            ws_charger,
            "StartTransaction",
            {"connectorId": 1, "idTag": app_token, "meterStart": 1000, "timestamp": "2026-11-21T10:00:00Z"},
        )
        assert start[2]["idTagInfo"]["status"] == "Accepted"
        transaction_id = start[2]["transactionId"]
        active = await session_until(live, lambda s: s["state"] == "active")
        assert active["started_at"] == "2026-11-21T10:00:00Z"

        await call(
            ws_charger,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [
                    {
                        "timestamp": "2026-11-21T10:20:00Z",
                        "sampledValue": [
                            {"value": "3500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
                            {"value": "55", "measurand": "SoC", "unit": "Percent"},
                        ],
                    }
                ],
            },
        )
        # The cost is priced by the worker once the readings are in: the message after it carries it.
        metered = await session_until(live, lambda s: s["energy_kwh"] == 2.5 and s["cost"] is not None)
        assert metered["power_kw"] == 7.4 and metered["soc_percent"] == 55 and metered["state"] == "active"
        assert metered["cost"] == {"currency": "EUR", "excl_vat": "1.25", "incl_vat": "1.50"}

        stopping = await app.post(f"/api/v1/sessions/{session_id}/stop")
        assert stopping.status == 202 and stopping.body["state"] == "stopping"
        remote_stop = await answer(ws_charger)
        assert remote_stop[2:] == ["RemoteStopTransaction", {"transactionId": transaction_id}]
        await reply_to(ws_charger, remote_stop, {"status": "Accepted"})
        await call(
            ws_charger,
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 6000,
                "timestamp": "2026-11-21T10:40:00Z",
                "reason": "Remote",
            },
        )
        # Its sealed cost follows the completion, once the worker has sealed the record.
        completed = await session_until(live, lambda s: s["state"] == "completed" and s["cost"] is not None)
    assert completed["energy_kwh"] == 5.0 and completed["duration_s"] == 2400 and completed["soc_percent"] == 55
    assert completed["power_kw"] is None and completed["stopped_at"] == "2026-11-21T10:40:00Z"
    assert completed["cost"] == {"currency": "EUR", "excl_vat": "2.00", "incl_vat": "2.40"}
    cdr = await sync_to_async(ChargeDetailRecord.objects.get)(transaction_id=transaction_id)
    assert (cdr.total_energy_wh, cdr.total_cost_incl_vat) == (5000, Decimal("2.40"))
    payment = await settled(session_id)
    assert (payment.amount_authorised, payment.amount_captured, payment.amount_excess) == (
        Decimal("50.00"),
        Decimal("2.40"),
        0,
    )
    assert amount_received(localstripe.client(), payment.stripe_payment_intent_id) == 240  # cents, exactly the CDR
    invoice = await invoiced(cdr)
    assert (invoice.total_incl_vat, invoice.currency) == (Decimal("2.40"), "EUR")
    pdf = await asyncio.to_thread(lambda: invoice.pdf.open("rb").read())
    assert pdf.startswith(b"%PDF") and invoice.number in pdf_text(pdf) and "2.40 EUR" in pdf_text(pdf)
    listed_invoices = await app.get("/api/v1/invoices")
    assert [(i["number"], i["total_incl_vat"]) for i in listed_invoices.body["results"]] == [(invoice.number, "2.40")]
    download = await asyncio.to_thread(
        requests.get,
        f"{server.http_url}/api/v1/invoices/{invoice.pk}/pdf",
        headers={"Authorization": f"Bearer {app.access}"},
        timeout=10,
    )
    assert download.headers["Content-Type"] == "application/pdf" and download.content == pdf

    history = await app.get("/api/v1/sessions", state="completed")
    assert [s["id"] for s in history.body["results"]] == [session_id]
    listed = history.body["results"][0]
    assert listed == {**completed, "updated_at": listed["updated_at"], "payment": listed["payment"]}
    assert listed["payment"] == {
        "status": "captured",
        "currency": "EUR",
        "amount_authorised": "50.00",
        "amount_charged": "2.40",
    }
    exported = await app.get("/api/v1/sessions/export")
    rows = list(csv.DictReader(io.StringIO(exported.body)))
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert [
        (r["id"], r["state"], r["energy_kwh"], r["duration_s"], r["currency"], r["cost_incl_vat"]) for r in rows
    ] == [
        (str(session_id), "completed", "5.0", "2400", "EUR", "2.40"),
        (str(session_id - 1), "failed", "", "", "", ""),  # the start refused for want of a card
    ]
    assert await sync_to_async(DriverSession.objects.count)() == 2
    assert await sync_to_async(Transaction.objects.filter(pk=transaction_id, status="completed").exists)()

    # The charger replays its StopTransaction (a lost answer): nothing is charged again.
    replay = await call(
        ws_charger,
        "StopTransaction",
        {"transactionId": transaction_id, "meterStop": 6000, "timestamp": "2026-11-21T10:40:00Z", "reason": "Remote"},
    )
    assert replay[0] == 3
    await asyncio.sleep(1.0)  # time for any (wrong) second settlement to run
    again = await sync_to_async(Payment.objects.get)(driver_session_id=session_id)
    assert (again.amount_captured, again.amount_excess, again.updated_at) == (
        payment.amount_captured,
        0,
        payment.updated_at,
    )
    # Stripe re-sends its webhook for the capture (twice): recorded once, nothing changes.
    event = json.dumps(
        {
            "id": "evt_journey_capture",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": payment.stripe_payment_intent_id,
                    "object": "payment_intent",
                    "status": "succeeded",
                    "amount_received": 240,
                    "metadata": {"driver_session_id": str(session_id)},
                }
            },
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(event, settings.STRIPE_WEBHOOK_SECRET)
    for _ in range(2):
        delivered = await asyncio.to_thread(
            requests.post,
            f"{server.http_url}/stripe/webhook",
            data=event,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
            timeout=10,
        )
        assert delivered.status_code == 200, delivered.text
    assert await sync_to_async(StripeEvent.objects.count)() == 1
    after_webhooks = await sync_to_async(Payment.objects.get)(driver_session_id=session_id)
    assert (after_webhooks.status, after_webhooks.amount_captured, after_webhooks.updated_at) == (
        "captured",
        Decimal("2.40"),
        payment.updated_at,
    )
    assert await sync_to_async(Invoice.objects.count)() == 1
    intents = localstripe.client().v1.payment_intents.list(params={"limit": 100}).data
    assert [i.id for i in intents] == [payment.stripe_payment_intent_id]
    assert amount_received(localstripe.client(), payment.stripe_payment_intent_id) == 240
    await ws_charger.close()


async def invoiced(cdr: ChargeDetailRecord, timeout: float = 15.0) -> Invoice:
    """The session's invoice once the worker has made it, with its PDF."""

    def made():
        """the invoice exists with its PDF"""
        return Invoice.objects.filter(charge_detail_records=cdr).exclude(pdf="").first()

    return await eventually(made, timeout=timeout)


async def settled(session_id: int, timeout: float = 15.0) -> Payment:
    """The session's payment once the Celery worker has captured it."""

    def captured():
        """the payment was captured"""
        return Payment.objects.filter(driver_session_id=session_id, status="captured").first()

    return await eventually(captured, timeout=timeout)


async def test_another_driver_sees_nothing_of_the_session(server, celery_worker, make_station):
    ws_charger = await charger_online(server, make_station, "JOURNEY-2")
    owner, stranger = DriverApp(server), DriverApp(server)
    await owner.sign_up("owner@example.com")
    await stranger.sign_up("stranger@example.com")
    started = await owner.post("/api/v1/sessions", {"station_id": "JOURNEY-2", "evse_id": 2})
    session_id = started.body["id"]
    await reply_to(ws_charger, await answer(ws_charger), {"status": "Accepted"})

    for reply in (
        await stranger.get(f"/api/v1/sessions/{session_id}"),
        await stranger.post(f"/api/v1/sessions/{session_id}/stop"),
    ):
        assert reply.status == 404 and reply.body == {"code": "not_found", "message": "Not found."}
    assert (await stranger.get("/api/v1/sessions")).body["results"] == []
    async with stranger.live(f"/ws/v1/sessions/{session_id}") as live:
        await asyncio.wait_for(live.wait_closed(), 5)
    assert live.close_code == 4404
    async with DriverApp(server).live(f"/ws/v1/sessions/{session_id}") as anonymous:
        await asyncio.wait_for(anonymous.wait_closed(), 5)
    assert anonymous.close_code == 4401
    await ws_charger.close()
