"""Staff sign in and every dashboard page answers; each is kept as a screenshot (var/screenshots/)."""

import pytest
from playwright.async_api import expect

from csms.management.commands.seed_demo import DEMO_STATION_PASSWORD, station_tag
from tests.browser.charger import Charger

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(90)]


async def test_staff_sign_in_on_the_overview_and_every_page_answers(server, celery_worker, demo, staff, browser):
    # One finished session on a demo station, so the sessions pages have something to show.
    charger = await Charger.connect(server, "DEMO-0001", DEMO_STATION_PASSWORD)
    try:
        await charger.status(1, "Available")
        tag = station_tag("DEMO-0001")
        transaction_id = await charger.start(1, tag, meter_wh=1_000)
        await charger.meter(1, transaction_id, wh=3_500, power_w=11_000, soc=48)
        await charger.stop(1, transaction_id, tag, meter_wh=4_000)
    finally:
        await charger.close()

    manager = await browser.sign_in(staff["manager"])
    tab = await manager.open("/dashboard/", "overview")
    await expect(tab.locator("header .who")).to_contain_text(staff["manager"])
    pages = {
        "map": "/dashboard/map/",
        "station": f"/dashboard/stations/{demo['DEMO-0001'].pk}/",
        "sessions": "/dashboard/sessions/",
        "session": f"/dashboard/sessions/{transaction_id}/",
        "alerts": "/dashboard/alerts/",
        "analytics": "/dashboard/analytics/",
    }
    for label, path in pages.items():
        await manager.open(path, label, tab)  # 200, live, screenshot
