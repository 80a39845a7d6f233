"""The operator's admin pages render, and a password set there opens the OCPP door."""

import pytest
from django.urls import reverse

from csms.ocpp.models import OcppMessage
from stations.models import ChargingStation
from stations.services.connections import authenticate_station, provision_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123"))
    return client


def test_station_pages_and_message_log_render(operator_client):
    station = provision_station(charge_point_id="CP-ADMIN", password="x" * 16)
    OcppMessage.objects.create(
        charge_point_id="CP-ADMIN",
        direction="in",
        action="Heartbeat",
        payload='[2,"1","Heartbeat",{}]',
        created_at=station.created_at,
    )
    change = operator_client.get(reverse("admin:stations_chargingstation_change", args=[station.pk]))
    assert change.status_code == 200 and b"?charge_point_id=CP-ADMIN" in change.content
    log = operator_client.get(reverse("admin:ocpp_ocppmessage_changelist"), {"q": "Heartbeat"})
    assert log.status_code == 200 and b"CP-ADMIN" in log.content
    for name in ("stations_chargingstation", "charging_transaction", "charging_idtag", "stations_statusevent"):
        assert operator_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_operator_sets_a_station_password_and_accepts_a_pending_station(operator_client):
    station = ChargingStation.objects.create(charge_point_id="CP-NEW", registration_status="Pending")
    form = {
        "charge_point_id": "CP-NEW",
        "registration_status": "Pending",
        "new_password": "short",
        "evses-TOTAL_FORMS": "0",
        "evses-INITIAL_FORMS": "0",
    }
    url = reverse("admin:stations_chargingstation_change", args=[station.pk])
    assert b"at least 16 characters" in operator_client.post(url, form).content
    operator_client.post(url, {**form, "new_password": "a-good-long-password"})
    assert authenticate_station(charge_point_id="CP-NEW", password="a-good-long-password").pk == station.pk

    operator_client.post(
        reverse("admin:stations_chargingstation_changelist"),
        {"action": "accept_stations", "_selected_action": [station.pk]},
    )
    station.refresh_from_db()
    assert station.registration_status == "Accepted"
