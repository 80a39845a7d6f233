"""The live map fits the network: every demo station has its marker in view, with its state and a popup."""

import re

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]


def marker(page, charge_point_id: str):
    return page.locator(f'span.marker[data-station="{charge_point_id}"]')


async def test_the_map_shows_each_demo_station_in_view_offline_until_its_charger_connects(server, demo, staff, browser):
    viewer = await browser.sign_in(staff["viewer"])
    page = await viewer.open("/dashboard/map/", "map")
    for charge_point_id in demo:
        await expect(marker(page, charge_point_id)).to_be_in_viewport()
        await expect(marker(page, charge_point_id)).to_have_attribute("data-state", "offline")
        await expect(marker(page, charge_point_id)).to_have_class(re.compile(r"\bmarker--offline\b"))


async def test_a_markers_popup_links_to_its_station_page(server, demo, staff, browser):
    viewer = await browser.sign_in(staff["viewer"])
    page = await viewer.open("/dashboard/map/", "map")
    station = demo["DEMO-0003"]
    await marker(page, station.charge_point_id).click()
    link = page.locator(f'.leaflet-popup a[href$="/dashboard/stations/{station.pk}/"]').last
    await expect(link).to_be_visible()
    await browser.screenshot(page, "map-popup")
    await link.click()
    await expect(page).to_have_url(re.compile(rf"/dashboard/stations/{station.pk}/$"))
