"""Saved requests in the real frontend (headless Chromium), in English and French.

On a profile made over REST: ⋮ > Add saved request opens the subentry form, which
is tried (the answer shows in the form) and then saved; the profile's device page
shows the button and the sensor, and pressing the button updates the sensor.
Screenshots go to artifacts/screenshots/<lang>/saved-*.png for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import EchoServer, HassInstance
from .harness import DOMAIN, create_profile
from .test_browser import (
    LOCALES,
    TIMEOUT_MS,
    Ui,
    browser,  # noqa: F401 - the module's Chromium fixture
    exact,
    frontend_strings,
    integration_strings,
    log_in,
    set_user_language,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
]

FORM_FIELDS = ["name", "method", "url", "headers", "params", "body_type", "body"]
BOTTOM_FIELDS = ["timeout", "fail_on_http_error", "retries", "try_it"]


async def open_request_form(ui: Ui, base_url: str, profile: str) -> Locator:
    """Integration page > the profile's ⋮ > Add saved request; return the dialog."""
    page = ui.page
    await page.goto(f"{base_url}/config/integrations/integration/{DOMAIN}")
    await page.get_by_text(profile, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    row = page.locator("ha-config-entry-row", has_text=profile)
    await row.locator('ha-dropdown ha-icon-button[slot="trigger"]').click()
    add = row.locator('ha-dropdown-item[value="subentry_request"]')
    texts = ui.strings["config_subentries"]["request"]
    await add.get_by_text(texts["initiate_flow"]["user"]).wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-01-profile-menu")
    await add.click()
    dialog = page.locator("dialog-data-entry-flow")
    await dialog.locator('input[name="url"]').wait_for(timeout=TIMEOUT_MS)
    step = texts["step"]["user"]
    await ui.expect_texts(
        dialog, [step["title"], *(step["data"][name] for name in FORM_FIELDS)]
    )
    return dialog


async def try_then_save(ui: Ui, dialog: Locator) -> None:
    """Fill the form, turn on Try it and submit, read the answer, then save."""
    page, text = ui.page, ui.frontend
    step = ui.strings["config_subentries"]["request"]["step"]["user"]
    await dialog.locator('input[name="name"]').fill("Left home")
    await dialog.locator('input[name="url"]').fill(
        "hooks/{{ who | default('nobody') }}"
    )
    await ui.shot("saved-02-form")
    try_it = dialog.locator("ha-selector-boolean").last
    await try_it.scroll_into_view_if_needed()
    await ui.expect_texts(dialog, [step["data"][name] for name in BOTTOM_FIELDS])
    await ui.shot("saved-03-form-bottom")
    await try_it.locator("ha-switch").click()
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    await dialog.get_by_text(re.compile(r"HTTP 200 OK")).first.wait_for(
        timeout=TIMEOUT_MS
    )
    await dialog.get_by_text(
        re.compile(r"HTTP 200 OK")
    ).first.scroll_into_view_if_needed()
    await ui.shot("saved-04-try-it-answer")
    # The answer comes back with Try it off again: the next submit saves.
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    await dialog.locator('input[name="url"]').wait_for(
        state="detached", timeout=TIMEOUT_MS
    )
    await ui.shot("saved-05-saved")
    await page.keyboard.press("Escape")


async def device_id(hass: HassInstance, entry_id: str) -> str:
    """Return the profile's device."""
    async with hass.client.websocket() as ws:
        devices = await ws.command("config/device_registry/list")
    return next(
        str(device["id"])
        for device in devices
        if entry_id in device.get("config_entries", [])
    )


async def check_device_page(
    ui: Ui, hass: HassInstance, entry_id: str, profile: str
) -> None:
    """The device page lists the button and the sensor; Press updates the sensor."""
    page = ui.page
    # Entity names come from the server's language (English here), not the user's.
    entity = integration_strings("en")["entity"]
    button_name = entity["button"]["send"]["name"].replace("{request}", "Left home")
    sensor_name = entity["sensor"]["last_result"]["name"].replace(
        "{request}", "Left home"
    )
    await page.goto(
        f"{hass.base_url}/config/devices/device/{await device_id(hass, entry_id)}"
    )
    await page.get_by_text(profile, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await page.get_by_text(sensor_name).first.wait_for(timeout=TIMEOUT_MS)
    await page.get_by_text(button_name, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-06-device-page")
    states = await hass.client.get("/api/states")
    sensor = next(
        s
        for s in states
        if s["entity_id"].startswith("sensor.")
        and s["attributes"].get("friendly_name") == f"{profile} {sensor_name}"
    )
    button = next(
        s
        for s in states
        if s["entity_id"].startswith("button.")
        and s["attributes"].get("friendly_name") == f"{profile} {button_name}"
    )
    await hass.client.post(
        "/api/services/button/press", {"entity_id": button["entity_id"]}
    )
    after = await hass.client.get(f"/api/states/{sensor['entity_id']}")
    assert after["state"] == "200"
    # The sensor's row shows the new state (its text sits in the row's own slot).
    row = page.locator("hui-generic-entity-row", has_text=sensor_name)
    await row.get_by_text("200").first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-07-device-page-after-press")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_saved_request_in_the_ui(
    lang: str,
    hass: HassInstance,
    echo: EchoServer,
    browser: Browser,  # noqa: F811
    artifacts_dir: Path,
) -> None:
    """Add, try and save a saved request in the UI; see its entities on the device."""
    shots = artifacts_dir / "screenshots" / lang
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("saved-*.png"):
        old.unlink()
    profile = f"Saved {lang}"
    created: dict[str, Any] = await create_profile(
        hass.client,
        name=profile,
        base_url=f"{echo.url}/{lang}/",
        settings={"auth_type": "none", "verify_ssl": True, "test_request": False},
    )
    entry_id = created["result"]["entry_id"]
    await set_user_language(hass, lang)
    context = await browser.new_context(
        locale=LOCALES[lang], viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        ui = Ui(
            page=await context.new_page(),
            lang=lang,
            shots=shots,
            frontend=frontend_strings(lang),
            strings=integration_strings(lang),
            seen=[],
        )
        await log_in(ui, hass.base_url)
        echo.drain()
        dialog = await open_request_form(ui, hass.base_url, profile)
        await try_then_save(ui, dialog)
        tried = await echo.next_request()
        assert tried.path == f"/{lang}/hooks/nobody"
        await check_device_page(ui, hass, entry_id, profile)
        assert len(ui.seen) == 7
    finally:
        await context.close()


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """The UI session made the integration log no error."""
    assert hass.integration_errors() == []
