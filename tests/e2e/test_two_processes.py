"""Several processes, one system: a charger on one ASGI server, commanded from the admin of another.

Two daphne processes share the test database, Redis and the channel-layer
prefix. The charger connects to the first; an operator logs in to the admin
of the second over real HTTP and sends commands; each crosses Redis to the
first process, which holds the socket, and the answer comes back the same way.
"""

import asyncio
import http.cookiejar
import os
import re
import urllib.parse
import urllib.request
from html import unescape

import pytest
from asgiref.sync import sync_to_async

from simulator import ChargerOptions, SimulatedCharger
from stations.models import ChargingStation, ConfigurationKey
from tests.conftest import AsgiServer, eventually, server_env
from tests.ocpp_client import STATION_PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: the processes meet in Redis"),
]

OPERATOR, PASSWORD = "ops", "two-processes-password"


class AdminBrowser:
    """An operator's browser on one server: cookies, CSRF token, redirects followed."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf_token(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, fields: dict) -> tuple[str, str]:
        """POST a form like the browser does; returns the final URL (after redirects) and its page."""
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf_token()}, doseq=True).encode()
        request = urllib.request.Request(self.base_url + path, data=body, headers={"Referer": self.base_url + path})
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read().decode()

    def log_in(self, username: str, password: str) -> None:
        self.get("/admin/login/")  # sets the csrftoken cookie
        url, page = self.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}
        )
        assert url == self.base_url + "/admin/", f"login failed: {url}"


def shown_messages(page: str) -> list[str]:
    """The texts of the admin's message list on a page."""
    listing = re.search(r'<ul class="messagelist">(.*?)</ul>', page, re.S)
    return (
        [unescape(text).strip() for text in re.findall(r"<li[^>]*>(.*?)</li>", listing.group(1), re.S)]
        if listing
        else []
    )


@pytest.fixture
def two_servers(transactional_db):
    """Two ASGI server processes on their own ports, sharing the test database, Redis and channel prefix."""
    servers = []
    try:
        for _ in range(2):
            servers.append(AsgiServer(server_env(OCPP_CALL_TIMEOUT="5")))
        yield servers
    finally:
        for server in servers:
            server.stop()


async def test_a_command_from_one_process_reaches_a_charger_on_another(two_servers, make_station, django_user_model):
    first, second = two_servers
    assert first.port != second.port
    await sync_to_async(django_user_model.objects.create_superuser)(OPERATOR, "ops@example.com", PASSWORD)
    station = await make_station("CP-TWO", evse_count=2)
    charger = SimulatedCharger(
        "CP-TWO",
        first.ocpp_url,
        ChargerOptions(password=STATION_PASSWORD, connectors=2, meter_interval=0, step_delay=0.05, reconnect_delay=0.1),
    )
    await charger.connect()
    try:
        await charger.boot()

        def on_first():
            """the first server holds the charger's socket"""
            return ChargingStation.objects.get(pk=station.pk).connection_channel

        await eventually(on_first)

        browser = AdminBrowser(second.http_url)  # the operator only ever talks to the second server
        await asyncio.to_thread(browser.log_in, OPERATOR, PASSWORD)
        stations = "/admin/stations/chargingstation/"

        # Get configuration: the answer on the page, the call at the charger, the keys in the database.
        url, page = await asyncio.to_thread(
            browser.post, stations, {"action": "get_configuration", "_selected_action": station.pk}
        )
        count = len(charger.configuration)
        assert url == second.http_url + stations
        assert f"CP-TWO: GetConfiguration returned {count} keys" in shown_messages(page)
        after_boot, read = charger.exchanges("GetConfiguration", incoming=True)  # the boot's follow-up, the operator's
        assert after_boot.answered_ok and read.answered_ok and len(read.response.payload["configurationKey"]) == count
        stored = await sync_to_async(ConfigurationKey.objects.filter(station=station).count)()
        assert stored == count

        # Reset (hard): the charger answers, reboots, and boots again on the first server.
        booted_before = (await sync_to_async(ChargingStation.objects.get)(pk=station.pk)).last_boot_at
        url, page = await asyncio.to_thread(
            browser.post, stations, {"action": "reset_hard", "_selected_action": station.pk}
        )
        assert "CP-TWO: Reset Accepted" in shown_messages(page)
        [reset] = charger.exchanges("Reset", incoming=True)
        assert reset.request.payload == {"type": "Hard"} and reset.response.payload == {"status": "Accepted"}

        def rebooted():
            """a new BootNotification arrived after the reset"""
            return ChargingStation.objects.get(pk=station.pk).last_boot_at > booted_before

        await eventually(rebooted, timeout=15)
        assert len(charger.exchanges("BootNotification")) == 2
        assert charger.connect_count == 2
    finally:
        await charger.close()
