"""Authorize, DataTransfer and the firmware/diagnostics notifications, as a charger sees them."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from stations.models import ChargingStation, DataTransferMessage, DataTransferVendor, StationEvent
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e


async def authorize(ws, id_tag: str) -> dict:
    return (await call(ws, "Authorize", {"idTag": id_tag}))[2]["idTagInfo"]


async def test_authorize_answers_every_status(server, make_station, make_id_tag):
    await make_station("CP-AUTHZ")
    expiry = timezone.now() + timedelta(days=30)
    fleet = await make_id_tag("FLEET-GROUP")
    await make_id_tag("CARD-OK", expires_at=expiry, parent=fleet)
    await make_id_tag("CARD-BLOCKED", status="Blocked")
    await make_id_tag("CARD-EXPIRED", expires_at=timezone.now() - timedelta(minutes=1))
    blocked_fleet = await make_id_tag("FLEET-BLOCKED", status="Blocked")
    await make_id_tag("CARD-IN-BAD-FLEET", parent=blocked_fleet)
    await make_id_tag("CARD-BUSY")
    async with open_socket(server, "CP-AUTHZ") as ws:
        ok = await authorize(ws, "CARD-OK")
        assert ok["status"] == "Accepted" and ok["parentIdTag"] == "FLEET-GROUP"
        assert ok["expiryDate"].startswith(expiry.strftime("%Y-%m-%dT%H:%M:%S")) and ok["expiryDate"].endswith("Z")
        assert (await authorize(ws, "CARD-BLOCKED"))["status"] == "Blocked"
        assert (await authorize(ws, "CARD-EXPIRED"))["status"] == "Expired"
        assert (await authorize(ws, "CARD-IN-BAD-FLEET"))["status"] == "Blocked"
        assert (await authorize(ws, "NO-SUCH-CARD")) == {"status": "Invalid"}
        start = {"connectorId": 1, "idTag": "CARD-BUSY", "meterStart": 0, "timestamp": "2026-11-21T08:00:00Z"}
        assert (await call(ws, "StartTransaction", start))[2]["idTagInfo"]["status"] == "Accepted"
        assert (await authorize(ws, "CARD-BUSY"))["status"] == "ConcurrentTx"
        # a second session with the same card elsewhere gets its id but is told ConcurrentTx
        second = await call(ws, "StartTransaction", {**start, "connectorId": 2})
        assert second[2]["transactionId"] and second[2]["idTagInfo"]["status"] == "ConcurrentTx"


async def test_data_transfer_is_kept_and_answered_per_vendor(server, make_station):
    station = await make_station("CP-DT")
    await sync_to_async(DataTransferVendor.objects.create)(
        vendor_id="com.acme", message_id="Ping", response_data="pong"
    )
    async with open_socket(server, "CP-DT") as ws:
        known = await call(ws, "DataTransfer", {"vendorId": "com.acme", "messageId": "Ping", "data": '{"n":1}'})
        assert known[2] == {"status": "Accepted", "data": "pong"}
        assert (await call(ws, "DataTransfer", {"vendorId": "com.acme", "messageId": "Other"}))[2] == {
            "status": "UnknownMessageId"
        }
        assert (await call(ws, "DataTransfer", {"vendorId": "org.unknown"}))[2] == {"status": "UnknownVendorId"}
    kept = await sync_to_async(
        lambda: list(
            DataTransferMessage.objects.filter(station=station)
            .order_by("id")
            .values_list("vendor_id", "message_id", "data", "response_status")
        )
    )()
    assert kept == [
        ("com.acme", "Ping", '{"n":1}', "Accepted"),
        ("com.acme", "Other", "", "UnknownMessageId"),
        ("org.unknown", "", "", "UnknownVendorId"),
    ]


async def test_firmware_and_diagnostics_progress_is_kept(server, make_station):
    station = await make_station("CP-FW")
    async with open_socket(server, "CP-FW") as ws:
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            assert (await call(ws, "FirmwareStatusNotification", {"status": status}))[2] == {}
        assert (await call(ws, "DiagnosticsStatusNotification", {"status": "Uploaded"}))[2] == {}
    station = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert (station.firmware_status, station.diagnostics_status) == ("Installed", "Uploaded")
    history = await sync_to_async(
        lambda: list(
            StationEvent.objects.filter(station=station, kind="firmware")
            .order_by("id")
            .values_list("summary", flat=True)
        )
    )()
    assert history == ["Firmware: Downloading", "Firmware: Downloaded", "Firmware: Installing", "Firmware: Installed"]
