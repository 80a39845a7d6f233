"""Issue 9 item 4: the roles an operator recognises (viewer, operator, finance), each allowed what it names.

Staff users get one group each, as an administrator would give them in the
admin; every page and action is exercised through the admin's own views.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from billing.models import Invoice, Payment, Tariff
from sessions.models import Reservation, Transaction
from stations.admin.commands import send
from stations.models import ChargingStation, Connector, RegistrationStatus
from stations.services.connections import provision_station
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

STATIONS = reverse("admin:stations_chargingstation_changelist")
STATION_COMMANDS = {
    "reset_soft",
    "reset_hard",
    "clear_cache",
    "trigger_message",
    "get_configuration",
    "change_configuration",
    "get_base_report",
    "get_variables",
    "set_variables",
    "unlock_connector",
    "change_availability",
    "remote_start",
    "reserve_now",
    "cancel_reservation",
    "set_charging_profile",
    "clear_charging_profile",
    "get_composite_schedule",
    "get_local_list_version",
    "send_local_list",
    "update_firmware",
    "get_diagnostics",
    "data_transfer",
}
ACCEPTANCE = {"accept_stations", "reject_stations"}


@pytest.fixture(autouse=True)
def roles(db):
    """The groups the roles migration created (again: a transactional test's flush empties the tables)."""
    define_roles()


@pytest.fixture
def pending_station():
    station = provision_station(charge_point_id="CP-ROLES", password="x" * 16)
    ChargingStation.objects.filter(pk=station.pk).update(registration_status=RegistrationStatus.PENDING)
    return station


def staff_client(client, django_user_model, role: str):
    user = django_user_model.objects.create_user(role, f"{role}@example.com", "a-password-of-staff", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def offered(client) -> set[str]:
    """The actions the station list offers this user."""
    page = client.get(STATIONS)
    assert page.status_code == 200 and b"CP-ROLES" in page.content
    return set(re.findall(r'<option value="(\w+)"', page.content.decode()))


def accept(client, station) -> str:
    client.post(STATIONS, {"action": "accept_stations", "_selected_action": [station.pk]})
    return ChargingStation.objects.get(pk=station.pk).registration_status


def command(client, station, action: str = "reset_soft"):
    url = reverse("admin:stations_chargingstation_command", args=[station.pk])
    return client.post(url, {"action": action, "_selected_action": station.pk}, follow=True)


def told(response) -> list[str]:
    return [message.message for message in response.context["messages"]] if response.context else []


def actions_of(model, user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return set(admin.site._registry[model].get_actions(request))


def test_a_viewer_sees_everything_and_changes_nothing(client, django_user_model, pending_station):
    viewer = staff_client(client, django_user_model, "viewer")
    assert not offered(viewer) & (STATION_COMMANDS | ACCEPTANCE)
    assert accept(viewer, pending_station) == RegistrationStatus.PENDING
    assert command(viewer, pending_station).status_code == 403
    change_page = reverse("admin:stations_chargingstation_change", args=[pending_station.pk])
    assert viewer.get(change_page).status_code == 200
    assert viewer.post(change_page, {"charge_point_id": "CP-RENAMED"}).status_code == 403
    assert viewer.get(reverse("admin:billing_tariff_changelist")).status_code == 200
    assert viewer.get(reverse("admin:billing_tariff_add")).status_code == 403
    user = django_user_model.objects.get(username="viewer")
    for model in (Connector, Transaction, Reservation, Payment, Invoice):
        assert not actions_of(model, user)


def test_send_refuses_a_user_without_the_command_permission(django_user_model, pending_station):
    """The one path every admin command takes checks the permission again, whatever offered the action."""
    request = RequestFactory().post("/")
    request.user = django_user_model.objects.create_user("nobody", is_staff=True)
    with pytest.raises(PermissionDenied):
        send(admin.site._registry[ChargingStation], request, pending_station, "Reset", lambda: pytest.fail("sent"))


@pytest.mark.django_db(transaction=True)  # the command's sync bridge closes the thread's connection
def test_an_operator_accepts_stations_and_sends_commands(client, django_user_model, pending_station):
    operator = staff_client(client, django_user_model, "operator")
    assert offered(operator) >= STATION_COMMANDS | ACCEPTANCE
    assert accept(operator, pending_station) == RegistrationStatus.ACCEPTED
    reset = command(operator, pending_station)
    assert (
        reset.status_code == 200 and told(reset)[-1] == "CP-ROLES: Reset (soft) failed, the station is not connected."
    )
    user = django_user_model.objects.get(username="operator")
    assert actions_of(Transaction, user) >= {"remote_stop"} and actions_of(Connector, user) >= {"unlock"}
    assert operator.get(reverse("admin:billing_tariff_add")).status_code == 403
    assert not actions_of(Payment, user)


def test_finance_edits_tariffs_and_refunds_but_commands_no_station(client, django_user_model, pending_station):
    finance = staff_client(client, django_user_model, "finance")
    assert finance.get(reverse("admin:billing_tariff_add")).status_code == 200
    assert finance.post(reverse("admin:billing_tariff_add"), {}).status_code == 200  # the form, with its errors
    user = django_user_model.objects.get(username="finance")
    assert actions_of(Payment, user) == {"refund"} and actions_of(Invoice, user) == {"send_again"}
    assert not offered(finance) & (STATION_COMMANDS | ACCEPTANCE)
    assert accept(finance, pending_station) == RegistrationStatus.PENDING
    assert command(finance, pending_station).status_code == 403
    assert not actions_of(Transaction, user)
    assert Tariff.objects.count() == 0
