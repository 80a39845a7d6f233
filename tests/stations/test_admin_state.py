"""Issue 9 item 33: the station list tells each station's real state; audit tables are read-only;
a station saved without a password is named in a warning."""

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from csms.ocpp.models import OcppMessage
from sessions.models import MeterValue, Transaction
from stations.models import ChargingStation, Connector, StationEvent, StatusEvent
from stations.selectors.status import StationState, station_state
from stations.services.connections import provision_station

pytestmark = pytest.mark.django_db

STATIONS = reverse("admin:stations_chargingstation_changelist")


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-password-123"))
    return client


def station_with(charge_point_id: str, *, online: bool, station_status: str = "Available", connectors=("Available",)):
    """A station whose connector 0 says `station_status` and whose connectors (one per EVSE) say `connectors`."""
    station = provision_station(charge_point_id=charge_point_id, password="x" * 16, evse_count=len(connectors))
    ChargingStation.objects.filter(pk=station.pk).update(
        connection_channel="specific.channel!1" if online else "", status=station_status
    )
    for number, status in enumerate(connectors, start=1):
        Connector.objects.filter(evse__station=station, evse__number=number).update(status=status)
    return ChargingStation.objects.get(pk=station.pk)


@pytest.mark.parametrize(
    "online, station_status, connectors, expected",
    [
        (False, "Available", ["Charging"], StationState.OFFLINE),  # its last word, from before the socket went
        (True, "Available", ["Available", "Charging"], StationState.CHARGING),
        (True, "Available", ["SuspendedEV"], StationState.CHARGING),
        (True, "Available", ["Preparing", "Available"], StationState.IN_USE),
        (True, "Faulted", ["Available"], StationState.FAULTED),
        (True, "Available", ["Faulted", "Faulted"], StationState.FAULTED),
        (True, "Unavailable", ["Charging"], StationState.UNAVAILABLE),
        (True, "Available", ["Reserved", "Faulted"], StationState.RESERVED),
        (True, "Available", ["Available", "Faulted"], StationState.AVAILABLE),
        (True, "", [""], StationState.UNKNOWN),
    ],
)
def test_the_state_comes_from_the_socket_and_every_connector(online, station_status, connectors, expected):
    station = station_with("CP-STATE", online=online, station_status=station_status, connectors=connectors)
    assert station_state(station=station) == expected


def test_the_station_list_shows_each_stations_state(superuser_client):
    station_with("CP-OFF", online=False)
    station_with("CP-CHARGING", online=True, connectors=["Available", "Charging"])
    station_with("CP-FAULTED", online=True, station_status="Faulted")
    station_with("CP-FREE", online=True)
    page = superuser_client.get(STATIONS).content.decode()
    shown = dict(re.findall(r'<a href="[^"]*">(CP-[A-Z]+)</a>.*?<td class="field-state">([^<]*)</td>', page, re.S))
    assert shown == {"CP-OFF": "Offline", "CP-CHARGING": "Charging", "CP-FAULTED": "Faulted", "CP-FREE": "Available"}


@pytest.fixture
def audit_records():
    station = station_with("CP-AUDIT", online=False)
    connector = Connector.objects.filter(evse__station=station).first()
    now = timezone.now()
    tx = Transaction.objects.create(
        station=station,
        connector=connector,
        id_tag_value="TAG",
        started_at=now,
        meter_start_wh=0,
        authorization_status="Accepted",
    )
    return [
        StatusEvent.objects.create(station=station, connector=connector, status="Charging", timestamp=now),
        MeterValue.objects.create(
            station=station,
            transaction=tx,
            timestamp=now,
            measurand="Energy.Active.Import.Register",
            value=10,
            unit="Wh",
        ),
        tx,
        OcppMessage.objects.create(
            charge_point_id="CP-AUDIT", direction="in", action="Heartbeat", payload="[]", created_at=now
        ),
        StationEvent.objects.create(station=station, kind="deviation", summary="bent a rule", occurred_at=now),
    ]


def test_audit_tables_are_read_only_even_for_a_superuser(superuser_client, django_user_model, audit_records):
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.get(username="root")
    for record in audit_records:
        model_admin = admin.site._registry[type(record)]
        info = record._meta.app_label, record._meta.model_name
        assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403
        change_url = reverse("admin:{}_{}_change".format(*info), args=[record.pk])
        assert superuser_client.get(change_url).status_code == 200  # shown
        assert superuser_client.post(change_url, {}).status_code == 403
        assert (
            superuser_client.post(
                reverse("admin:{}_{}_delete".format(*info), args=[record.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        assert "delete_selected" not in model_admin.get_actions(request)
        assert type(record).objects.filter(pk=record.pk).exists()


def add_station(client, charge_point_id: str, new_password: str = ""):
    data = {
        "charge_point_id": charge_point_id,
        "registration_status": "Accepted",
        "new_password": new_password,
        "evses-TOTAL_FORMS": "0",
        "evses-INITIAL_FORMS": "0",
        "configuration-TOTAL_FORMS": "0",
        "configuration-INITIAL_FORMS": "0",
    }
    return client.post(reverse("admin:stations_chargingstation_add"), data, follow=True)


def test_saving_a_station_without_a_password_warns(superuser_client):
    saved = add_station(superuser_client, "CP-NOPASS")
    assert ChargingStation.objects.filter(charge_point_id="CP-NOPASS").exists()
    warnings = [m.message for m in saved.context["messages"] if m.level_tag == "warning"]
    assert warnings == ["CP-NOPASS has no password: it cannot connect until one is set in “New password”."]
    with_password = add_station(superuser_client, "CP-PASS", new_password="a-station-password-16")
    assert not [m for m in with_password.context["messages"] if m.level_tag == "warning"]
