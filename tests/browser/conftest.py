"""The browser tier's fixtures: a real server with the demo data, staff in the operators' roles, and
headless Chromium (Debian's package, driven by Playwright) signed in through the admin's login form.

Every page a test opens is kept as a full-page screenshot, `var/screenshots/<test>-<page>.png`.
When a test fails (or a page throws), each open tab also leaves its HTML and its console
(console messages, uncaught errors, HTTP errors) beside it, `<test>-<tab>-failed.{png,html,log}`,
and the server's log is named in the test's output: the lead runs this tier against pages
others wrote, so a failure must explain itself without a rerun.
"""

import contextlib
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.async_api import Page, async_playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from csms.management.commands.seed_demo import DEMO_STATIONS
from stations.models import ChargingStation, Location
from tests.conftest import ROOT
from tests.roles import define_roles

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
STAFF_PASSWORD = "a-password-of-staff"
# Where the demo stations stand: seed_demo puts all three on one depot, where any map clusters them into
# one marker; the tier spreads them over Berlin so each has its own.
SPREAD = {
    "DEMO-0002": ("Voltstack Demo Kreuzberg", "52.498600", "13.403000"),
    "DEMO-0003": ("Voltstack Demo Charlottenburg", "52.516600", "13.304100"),
}
ROLES = {"viewer": ["viewer"], "operator": ["operator"], "manager": ["operator", "finance"]}
LIVE = "live"  # #live-state's data-state once the page's socket is open (live.js)

_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so its browser's teardown knows whether it failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def demo(server) -> dict[str, ChargingStation]:
    """The demo data of `make run` (seed_demo), its stations spread out: charge point id → station."""
    call_command("seed_demo", stdout=io.StringIO())
    for charge_point_id, (name, latitude, longitude) in SPREAD.items():
        location = Location.objects.create(
            name=name, city="Berlin", latitude=Decimal(latitude), longitude=Decimal(longitude)
        )
        ChargingStation.objects.filter(charge_point_id=charge_point_id).update(location=location)
    return {
        s.charge_point_id: s
        for s in ChargingStation.objects.filter(charge_point_id__in=[s for s, _, _ in DEMO_STATIONS])
    }


@pytest.fixture
def staff(transactional_db) -> dict[str, str]:
    """Staff members in the operators' roles: role → username; "manager" holds operator and finance."""
    # The roles migration's groups again: a transactional test's flush emptied the tables.
    define_roles()
    users = {}
    for name, roles in ROLES.items():
        username = f"ui-{name}"
        user = get_user_model().objects.create_user(username, f"{username}@example.com", STAFF_PASSWORD, is_staff=True)
        user.groups.set(Group.objects.filter(name__in=roles))
        users[name] = username
    return users


@pytest_asyncio.fixture
async def browser(request, server):
    """Headless Chromium for one test; on failure each tab's screenshot, HTML and console are kept."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make {CHROMIUM}` installs Debian's chromium package")
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob(f"{name}-*"):
        stale.unlink()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tabs = Tabs(chromium, server, name)
        yield tabs
        reports = request.node.stash.get(_REPORTS, {})
        if tabs.page_errors or any(report.failed for report in reports.values()):
            await tabs.keep_failure()
        await chromium.close()
    if tabs.page_errors:
        pytest.fail("uncaught errors in the pages:\n" + "\n".join(tabs.page_errors))


class Tabs:
    """The test's tabs, each signed in as someone and named for its screenshots."""

    def __init__(self, chromium, server, test_name: str):
        self.chromium = chromium
        self.server = server
        self.test_name = test_name
        self.tabs: dict[str, tuple[Page, list[str]]] = {}
        self.page_errors: list[str] = []

    async def sign_in(self, username: str, password: str = STAFF_PASSWORD) -> "Staff":
        """A new browser profile (its own cookies) that signs in through the admin's real login form."""
        context = await self.chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        # Offline: only our server answers (map tiles and the like fail at once instead of hanging).
        local = re.escape(self.server.http_url)
        await context.route(re.compile(rf"^(?!{local}/)"), lambda route: route.abort())
        staff = Staff(self, context, username)
        page = await staff.tab(f"{username}-login")
        await page.goto(self.server.http_url + "/dashboard/")
        await expect(page).to_have_url(re.compile(r"/admin/login/\?next=/dashboard/$"))
        await page.fill("#id_username", username)
        await page.fill("#id_password", password)
        await page.click("input[type=submit]")
        await expect(page).to_have_url(self.server.http_url + "/dashboard/")
        await page.close()
        return staff

    def watch(self, label: str, page: Page) -> None:
        log: list[str] = []
        page.on("console", lambda m: log.append(f"console.{m.type}: {m.text} {m.location.get('url', '')}"))
        page.on("pageerror", lambda error: self._page_error(label, log, error))
        page.on("requestfailed", lambda r: log.append(f"request failed: {r.method} {r.url} {r.failure}"))
        page.on("response", lambda r: self._response(log, r))
        page.on("websocket", lambda ws: self._websocket(log, ws))
        self.tabs[label] = (page, log)

    @staticmethod
    def _response(log: list[str], response) -> None:
        """Every error, and every fetch a page makes (did it read its state again when nudged?)."""
        if response.status >= 400 or response.request.resource_type in ("fetch", "xhr"):
            log.append(f"http {response.status}: {response.request.method} {response.url}")

    @staticmethod
    def _websocket(log: list[str], socket) -> None:
        """The live socket's life and each message the server pushed to the page."""
        log.append(f"websocket open: {socket.url}")
        socket.on("framereceived", lambda payload: log.append(f"websocket message: {payload}"))
        socket.on("close", lambda _: log.append(f"websocket closed: {socket.url}"))

    def _page_error(self, label: str, log: list[str], error) -> None:
        log.append(f"uncaught: {error}")
        self.page_errors.append(f"{label}: {error}")

    async def screenshot(self, page: Page, label: str) -> Path:
        path = SCREENSHOTS / f"{self.test_name}-{label}.png"
        await page.screenshot(path=path, full_page=True)
        return path

    async def keep_failure(self) -> None:
        """Each open tab's screenshot, HTML and console log, and where the server's log is."""
        for label, (page, log) in self.tabs.items():
            if page.is_closed():
                continue
            base = SCREENSHOTS / f"{self.test_name}-{label}-failed"
            try:
                await page.screenshot(path=f"{base}.png", full_page=True)
                Path(f"{base}.html").write_text(await page.content())
            except Exception as error:  # a crashed tab still leaves its log
                log.append(f"artifacts incomplete: {error}")
            Path(f"{base}.log").write_text(f"{page.url}\n" + "\n".join(log) + "\n")
        print(f"browser artifacts: {SCREENSHOTS}/{self.test_name}-*; server log: {self.server.log.name}")


class Staff:
    """One signed-in staff member's browser profile."""

    def __init__(self, tabs: Tabs, context, username: str):
        self.tabs = tabs
        self.context = context
        self.username = username

    async def tab(self, label: str) -> Page:
        page = await self.context.new_page()
        self.tabs.watch(label, page)
        return page

    async def open(self, path: str, label: str, page: Page | None = None) -> Page:
        """Open a dashboard page (in a new tab unless given one): it answers 200 and its live socket opens.

        The screenshot is taken once the page's own requests are done, so it shows what it loaded."""
        page = page or await self.tab(label)
        response = await page.goto(self.tabs.server.http_url + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        await expect(page.locator("#live-state")).to_have_attribute("data-state", LIVE)
        with contextlib.suppress(PlaywrightTimeout):  # a page that keeps fetching is shot as it is
            await page.wait_for_load_state("networkidle", timeout=5_000)
        await self.tabs.screenshot(page, label)
        return page
