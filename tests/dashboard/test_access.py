"""Who reaches the operators' dashboard: its pages and its live socket, by role, signed in through the admin."""

import json
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from csms.live import DASHBOARD_GROUP, publish, station_sessions_group
from dashboard import consumers
from dashboard.routing import websocket_urlpatterns
from tests.conftest import ROOT
from tests.roles import define_roles


def staff(username: str, *roles: str):
    """A staff member in these role groups (defined again: a transactional test's flush empties the tables)."""
    define_roles()
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_visitor_is_sent_to_the_admin_login_and_back():
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/"


@pytest.mark.django_db
def test_staff_without_a_role_are_refused_and_a_viewer_gets_in():
    assert signed_in(staff("nobody")).get("/dashboard/").status_code == 403
    assert signed_in(staff("viewer", "viewer")).get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_the_site_opens_on_the_dashboard_and_the_admin_links_to_it():
    assert Client().get("/")["Location"] == "/dashboard/"
    assert Client().get("/map/")["Location"] == "/dashboard/map/"
    page = signed_in(staff("viewer", "viewer")).get("/admin/").content.decode()
    assert 'id="dashboard-link"' in page and 'href="/dashboard/"' in page


async def socket(path: str, user=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        client = await sync_to_async(signed_in)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected  # accepted first, so that the close code can tell the page why
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return message["code"]


async def test_the_socket_tells_a_visitor_and_a_roleless_staff_member_apart(transactional_db):
    assert await closed_with(await socket("/ws/dashboard")) == consumers.CLOSE_UNAUTHENTICATED
    nobody = await sync_to_async(staff)("nobody")
    assert await closed_with(await socket("/ws/dashboard", nobody)) == consumers.CLOSE_FORBIDDEN


async def test_a_viewer_hears_the_network_and_a_station_page_also_its_sessions(transactional_db):
    viewer = await sync_to_async(staff)("viewer", "viewer")
    network = await socket("/ws/dashboard", viewer)
    station = await socket("/ws/dashboard/stations/7", viewer)
    status = {"type": "status_changed", "station_id": 7, "evse_number": 1, "status": "Faulted", "error_code": "X"}
    await sync_to_async(publish)([DASHBOARD_GROUP], status)
    assert await network.receive_json_from(timeout=5) == status
    assert await station.receive_json_from(timeout=5) == status
    cost = {"type": "cost_changed", "transaction_id": 3, "station_id": 7}
    await sync_to_async(publish)([station_sessions_group(7), station_sessions_group(8)], cost)
    assert await station.receive_json_from(timeout=5) == cost
    assert await network.receive_nothing(timeout=0.5)  # per-reading nudges stay off the network socket
    await network.disconnect()
    await station.disconnect()


async def test_signing_out_elsewhere_closes_the_socket_and_so_does_losing_access(transactional_db, monkeypatch):
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.2)
    viewer = await sync_to_async(staff)("viewer", "viewer")
    communicator = await socket("/ws/dashboard", viewer)
    key = communicator.scope["headers"][-1][1].decode().removeprefix("sessionid=")
    await sync_to_async(import_module(settings.SESSION_ENGINE).SessionStore(key).delete)()
    assert await closed_with(communicator) == consumers.CLOSE_UNAUTHENTICATED

    communicator = await socket("/ws/dashboard", viewer)
    await sync_to_async(viewer.groups.clear)()  # an administrator took the role away
    assert await closed_with(communicator) == consumers.CLOSE_FORBIDDEN


def test_the_vendored_chart_library_is_the_version_pinned_for_npm():
    pinned = json.loads((ROOT / "dashboard/vendor/package.json").read_text())["dependencies"]["chart.js"]
    served = (ROOT / "dashboard/static/dashboard/vendor/chart.js/chart.umd.min.js").read_text()[:200]
    assert f"Chart.js v{pinned}\n" in served
