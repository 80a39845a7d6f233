"""A charger reports a fault: without a reload, within 2 s, its marker turns red and an alert appears.

The alert comes from the alerts app's subscriber and its Celery task: the tier runs the
session's Celery worker (tests/conftest.py) beside the server, as `make run` does.
"""

import asyncio
import re

import pytest
from playwright.async_api import expect

from csms.management.commands.seed_demo import DEMO_STATION_PASSWORD
from tests.browser.charger import Charger

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]

STATION = "DEMO-0003"
VENDOR_ERROR = "E-042"


def within(deadline: float) -> float:
    """What is left of the 2 s, in ms, for the next expectation (every one counts from the fault)."""
    return max(1.0, (deadline - asyncio.get_running_loop().time()) * 1000)


async def mark_not_reloaded(*pages) -> None:
    for page in pages:
        await page.evaluate("window.voltstackNotReloaded = true")


async def assert_not_reloaded(*pages) -> None:
    for page in pages:
        assert await page.evaluate("window.voltstackNotReloaded === true"), f"{page.url} was reloaded"


async def test_a_faulted_connector_turns_its_marker_red_and_opens_an_alert_live(
    server, celery_worker, demo, staff, browser
):
    charger = await Charger.connect(server, STATION, DEMO_STATION_PASSWORD)
    try:
        await charger.status(0, "Available")
        await charger.status(1, "Available")
        operator = await browser.sign_in(staff["operator"])
        map_tab = await operator.open("/dashboard/map/", "map")
        marker = map_tab.locator(f'span.marker[data-station="{STATION}"]')
        await expect(marker).to_have_attribute("data-state", "available")
        alerts_tab = await operator.open("/dashboard/alerts/", "alerts")
        row = alerts_tab.locator(f'tr[data-alert-id][data-rule][data-station="{STATION}"][data-state="open"]')
        await expect(row).to_have_count(0)
        badge = map_tab.locator("#alert-count")
        await expect(badge).to_be_hidden()  # no open alert yet
        await mark_not_reloaded(map_tab, alerts_tab)

        await charger.status(
            1,
            "Faulted",
            "GroundFailure",
            vendorErrorCode=VENDOR_ERROR,
            vendorId="com.voltstack.demo",
            info="RCD tripped",
        )
        deadline = asyncio.get_running_loop().time() + 2
        await expect(marker).to_have_attribute("data-state", "faulted", timeout=within(deadline))
        await expect(marker).to_have_class(re.compile(r"\bmarker--faulted\b"), timeout=within(deadline))
        toast = map_tab.locator(f'#toasts [data-alert-rule][data-station="{STATION}"]')
        await expect(toast.first).to_be_visible(timeout=within(deadline))
        await expect(row.first).to_be_visible(timeout=within(deadline))

        await browser.screenshot(map_tab, "map-faulted")
        await browser.screenshot(alerts_tab, "alerts-open")
        await expect(row.filter(has_text=VENDOR_ERROR).first).to_be_visible()  # what the charger said
        await assert_not_reloaded(map_tab, alerts_tab)
        await expect(badge).to_be_visible()  # the top bar counts it, on every page (live.js)
    finally:
        await charger.close()
