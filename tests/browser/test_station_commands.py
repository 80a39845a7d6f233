"""Command buttons on the station page: a viewer cannot press them, an operator can."""

import pytest
from playwright.async_api import expect

from csms.management.commands.seed_demo import DEMO_STATION_PASSWORD
from tests.browser.charger import Charger

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]

STATION = "DEMO-0003"


async def test_a_viewer_cannot_press_a_command_button_and_an_operator_can(server, demo, staff, browser):
    charger = await Charger.connect(server, STATION, DEMO_STATION_PASSWORD)  # online: commands would reach it
    try:
        await charger.status(1, "Available")
        path = f"/dashboard/stations/{demo[STATION].pk}/"

        viewer = await browser.sign_in(staff["viewer"])
        page = await viewer.open(path, "station-viewer")
        buttons = page.locator("form button[data-command]")
        await expect(buttons.first).to_be_visible()
        for button in await buttons.all():
            await expect(button).to_be_disabled()
        posts: list[str] = []
        page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
        await buttons.first.click(force=True)  # a real click where the button is, past Playwright's checks
        assert posts == [] and page.url.endswith(path), f"a viewer's click sent {posts}"

        operator = await browser.sign_in(staff["operator"])
        page = await operator.open(path, "station-operator")
        buttons = page.locator("form button[data-command]")
        await expect(buttons.first).to_be_visible()
        for button in await buttons.all():
            await expect(button).to_be_enabled()
    finally:
        await charger.close()
