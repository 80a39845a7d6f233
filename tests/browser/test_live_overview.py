"""The overview's counts follow a session on a simulated charger live, without a reload."""

import re

import pytest
from playwright.async_api import expect

from csms.management.commands.seed_demo import DEMO_STATION_PASSWORD, station_tag
from tests.browser.charger import Charger

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]

STATION = "DEMO-0001"


def count(n: int) -> re.Pattern:
    """A card's value that reads n (a unit or a total may follow it)."""
    return re.compile(rf"^\s*{n}(?!\d)")


async def test_the_overview_counts_a_session_while_it_runs(server, celery_worker, demo, staff, browser):
    charger = await Charger.connect(server, STATION, DEMO_STATION_PASSWORD)
    try:
        for connector_id in (0, 1, 2):
            await charger.status(connector_id, "Available")
        viewer = await browser.sign_in(staff["viewer"])
        page = await viewer.open("/dashboard/", "overview")
        in_progress = page.locator('[data-card="sessions_in_progress"] .value')
        charging = page.locator('[data-card="charging_now"] .value')
        await expect(in_progress).to_have_text(count(0))
        await expect(charging).to_have_text(count(0))
        await page.evaluate("window.voltstackNotReloaded = true")

        tag = station_tag(STATION)
        transaction_id = await charger.start(1, tag, meter_wh=20_000)
        await charger.meter(1, transaction_id, wh=21_200, power_w=11_000, soc=35)
        await expect(in_progress).to_have_text(count(1))
        await expect(charging).to_have_text(count(1))
        await browser.screenshot(page, "overview-charging")

        await charger.stop(1, transaction_id, tag, meter_wh=22_000)
        await expect(in_progress).to_have_text(count(0))
        await expect(charging).to_have_text(count(0))
        assert await page.evaluate("window.voltstackNotReloaded === true"), "the overview was reloaded"
    finally:
        await charger.close()
