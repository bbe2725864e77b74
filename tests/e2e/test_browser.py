"""The real frontend in headless Chromium, in English and in French.

Add a profile through Settings > Devices & services > Add integration (one
default header entered in the header editor, each folded settings section opened,
Basic credentials on the credentials step), open its options and go on to the
OAuth2 credentials step without saving, then perform
scene_http_request.send in Developer tools > Actions against the local server and
read the response on the page. Screenshots of every form go to
artifacts/screenshots/<lang>/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from .harness import DOMAIN
from .ui import TIMEOUT_MS, Ui, exact, log_in, open_ui

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Browser, Locator

    from .conftest import EchoServer, HassInstance

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
]

# Each section is unfolded and shown in its own screenshot.
SECTION_SHOTS = {"connection": "02c", "tls": "02d", "proxy": "02e"}
BASIC_FIELDS = ["username", "password", "test_request"]
OAUTH_FIELDS = [
    "token_url",
    "client_id",
    "client_secret",
    "scope",
    "audience",
    "test_request",
]
BASIC_USER = "browser"
MAIN_ACTION_FIELDS = ["url", "method", "config_entry_id", "headers", "params"]
ADVANCED_ACTION_FIELDS = [
    "timeout",
    "verify_ssl",
    "allow_redirects",
    "fail_on_http_error",
    "retries",
    "max_response_size",
    "skip_url_encoding",
]


async def add_profile(ui: Ui, base_url: str, name: str, profile_url: str) -> None:
    """Settings > Devices & services > Add integration > Scene HTTP Request."""
    page, text = ui.page, ui.frontend
    await page.goto(f"{base_url}/config/integrations/dashboard")
    await page.locator('ha-button[slot="fab"]').click()
    await page.locator("dialog-add-integration ha-input-search input").fill(
        "Scene HTTP"
    )
    await page.locator(
        "dialog-add-integration ha-integration-list-item", has_text="Scene HTTP Request"
    ).click()

    dialog = page.locator("dialog-data-entry-flow")
    await dialog.locator('input[name="name"]').wait_for(timeout=TIMEOUT_MS)
    await ui.expect_texts(dialog, ui.step_texts("config", "user", ["name", "base_url"]))
    await ui.shot("01-config-user")
    await dialog.locator('input[name="name"]').fill(name)
    await dialog.locator('input[name="base_url"]').fill(profile_url)
    await dialog.get_by_role(
        "button", name=re.compile(f"^({text['submit']}|{text['next']})$")
    ).click()

    await settings_step(ui, dialog)
    await credentials_step(ui, dialog)


async def settings_step(ui: Ui, dialog: Locator) -> None:
    """Open each section, show an error in one, add a header, pick Basic."""
    page, text = ui.page, ui.frontend
    headers = dialog.locator("ha-selector-object")
    await headers.wait_for(timeout=TIMEOUT_MS)
    await ui.check_settings_step(dialog, "config", "settings")
    await ui.shot("02-config-settings")
    await ui.shot_bottom(dialog, "02b-config-settings-bottom")
    sections = ui.strings["config"]["step"]["settings"]["sections"]
    for key, number in SECTION_SHOTS.items():
        panel = ui.panel(dialog, "config", "settings", key)
        await panel.get_by_text(sections[key]["name"], exact=True).first.click()
        await ui.expect_texts(panel, ui.section_texts("config", "settings", key))
        assert await panel.evaluate("element => element.expanded") is True
        assert await panel.locator("ha-selector").first.is_visible()
        await panel.evaluate("element => element.scrollIntoView({block: 'start'})")
        await ui.shot(f"{number}-config-settings-{key}")
    # An error inside a section shows above it, and the section stays open.
    await dialog.locator('input[name="proxy_url"]').fill("http://proxy.lan/path")
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    message = ui.strings["config"]["error"]["invalid_proxy_url"].split("`")[0]
    alert = dialog.locator("ha-alert", has_text=message.strip())
    await alert.wait_for(timeout=TIMEOUT_MS)
    proxy = ui.panel(dialog, "config", "settings", "proxy")
    assert await proxy.evaluate("element => element.expanded") is True
    await alert.scroll_into_view_if_needed()
    await ui.shot("02f-config-settings-section-error")
    await dialog.locator('input[name="proxy_url"]').fill("")
    await dialog.locator("ha-selector").first.scroll_into_view_if_needed()

    # The header editor: "Add" opens a small form with the header's name and value.
    await headers.get_by_role("button", name=exact(text["add"])).click()
    editor = page.locator("dialog-form")
    await editor.locator('input[name="name"]').wait_for(timeout=TIMEOUT_MS)
    header_fields = ui.strings["selector"]["header"]["fields"]
    await ui.expect_texts(
        editor, [header_fields[key]["name"] for key in ("name", "value")]
    )
    await ui.shot("03-config-header-editor")
    await editor.locator('input[name="name"]').fill("X-Browser")
    await editor.locator('input[name="value"]').fill(ui.lang)
    await editor.get_by_role("button", name=exact(text["add"])).click()
    await headers.get_by_text("X-Browser").first.wait_for(timeout=TIMEOUT_MS)
    await ui.choose_auth(dialog, "basic")
    await ui.shot("04-config-settings-with-header")


async def credentials_step(ui: Ui, dialog: Locator) -> None:
    """Basic: the credentials step asks for a username and a password only."""
    text = ui.frontend
    await dialog.get_by_role(
        "button", name=re.compile(f"^({text['submit']}|{text['next']})$")
    ).click()
    await dialog.locator('input[name="username"]').wait_for(timeout=TIMEOUT_MS)
    await ui.expect_texts(dialog, ui.step_texts("config", "credentials", BASIC_FIELDS))
    assert await dialog.locator('[name="token"]').count() == 0
    await ui.shot("05-config-credentials-basic")
    await dialog.locator('input[name="username"]').fill(BASIC_USER)
    await dialog.locator('input[name="password"]').fill(ui.lang)
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    await dialog.locator("step-flow-create-entry").wait_for(timeout=TIMEOUT_MS)
    await ui.shot("05b-config-created")
    await dialog.get_by_role("button", name=exact(text["finish"])).click()


async def open_options(ui: Ui, base_url: str, name: str) -> None:
    """The integration page lists the profile; its Configure button opens options."""
    page, text = ui.page, ui.frontend
    await page.goto(f"{base_url}/config/integrations/integration/{DOMAIN}")
    await page.get_by_text(name, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("06-integration-page")
    row = page.locator("ha-config-entry-row", has_text=name)
    await row.get_by_role("button", name=exact(text["configure"])).first.click()
    dialog = page.locator("dialog-data-entry-flow")
    headers = dialog.locator("ha-selector-object")
    await headers.get_by_text("X-Browser").first.wait_for(timeout=TIMEOUT_MS)
    await ui.check_settings_step(dialog, "options", "init")
    await ui.shot("07-options-init")
    # OAuth2: the credentials step asks for the token endpoint and the client.
    await ui.choose_auth(dialog, "oauth2_client_credentials")
    await dialog.get_by_role(
        "button", name=re.compile(f"^({text['submit']}|{text['next']})$")
    ).click()
    await dialog.locator('input[name="token_url"]').wait_for(timeout=TIMEOUT_MS)
    await ui.expect_texts(dialog, ui.step_texts("options", "credentials", OAUTH_FIELDS))
    assert await dialog.locator('[name="username"]').count() == 0
    await ui.shot("07b-options-credentials-oauth2")
    # Leave without saving: the profile keeps Basic.
    # (Escape does not close a flow that went past its first step.)
    await dialog.locator('ha-icon-button[data-dialog="close"]').first.click()
    await dialog.locator('input[name="token_url"]').wait_for(
        state="detached", timeout=TIMEOUT_MS
    )


async def perform_action(ui: Ui, base_url: str, call: Mapping[str, Any]) -> str:
    """Developer tools > Actions: pick the action, then perform it in YAML mode."""
    page, text = ui.page, ui.frontend
    service = ui.strings["services"]["send"]
    await page.goto(f"{base_url}/developer-tools/action")
    picker = page.locator("ha-service-picker")
    await picker.click()
    await picker.locator("ha-picker-combo-box ha-input-search input").fill(
        f"{DOMAIN}.send"
    )
    item = picker.locator(
        "ha-picker-combo-box ha-combo-box-item", has_text=f"{DOMAIN}.send"
    )
    await item.get_by_text(service["name"], exact=True).wait_for(timeout=TIMEOUT_MS)
    await item.first.click()
    fields = service["fields"]
    form = page.locator("ha-service-control")
    await ui.expect_texts(form, [fields[name]["name"] for name in MAIN_ACTION_FIELDS])
    await ui.shot("08-action-form")
    # The collapsed section with the advanced fields.
    section = service["sections"]["advanced_options"]["name"]
    await form.get_by_text(section, exact=True).first.click()
    await ui.expect_texts(
        form, [fields[name]["name"] for name in ADVANCED_ACTION_FIELDS]
    )
    await form.get_by_text(
        fields["skip_url_encoding"]["name"], exact=True
    ).first.scroll_into_view_if_needed()
    await ui.shot("08b-action-form-advanced")

    await page.get_by_role("button", name=exact(text["yaml_mode"])).click()
    editor = page.locator("ha-code-editor .cm-content").first
    await editor.wait_for(timeout=TIMEOUT_MS)
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    # One line of JSON (valid YAML): typed line by line, CodeMirror would indent.
    await page.keyboard.insert_text(json.dumps(call))
    await page.keyboard.press("Home")
    await editor.scroll_into_view_if_needed()
    await ui.shot("09-action-yaml")
    await page.get_by_role("button", name=exact(text["perform"])).click()
    await page.get_by_text(text["response"], exact=True).first.wait_for(
        timeout=TIMEOUT_MS
    )
    response = page.locator("ha-code-editor .cm-content").nth(1)
    await response.get_by_text("status: 200").wait_for(timeout=TIMEOUT_MS)
    await response.locator(".cm-line").last.scroll_into_view_if_needed()
    await ui.shot("10-action-response")
    return str(await response.text_content())


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_profile_and_action_in_the_ui(
    lang: str,
    hass: HassInstance,
    echo: EchoServer,
    browser: Browser,
    artifacts_dir: Path,
) -> None:
    """Create a profile in the UI, run the action in Developer tools, see the answer."""
    shots = artifacts_dir / "screenshots" / lang
    async with open_ui(hass, browser, lang, shots) as ui:
        name = f"Browser {lang}"
        await log_in(ui, hass.base_url)
        await add_profile(ui, hass.base_url, name, f"{echo.url}/{lang}/")
        entry = next(e for e in await hass.client.entries() if e["title"] == name)
        assert entry["state"] == "loaded"
        await open_options(ui, hass.base_url, name)

        echo.drain()
        call = {
            "action": f"{DOMAIN}.send",
            "data": {
                "config_entry_id": entry["entry_id"],
                "method": "POST",
                "url": "from/browser",
                "headers": {"X-Call": "browser"},
                "json": {"lang": lang},
            },
        }
        shown = await perform_action(ui, hass.base_url, call)
        received = await echo.next_request()
        assert received.method == "POST"
        assert received.path == f"/{lang}/from/browser"
        assert received.headers["x-browser"] == lang
        assert received.headers["x-call"] == "browser"
        basic = base64.b64encode(f"{BASIC_USER}:{lang}".encode()).decode()
        assert received.headers["authorization"] == f"Basic {basic}"
        assert received.json() == {"lang": lang}
        assert "status: 200" in shown
        assert f"profile: {name}" in shown
        assert len(ui.seen) == 15 + len(SECTION_SHOTS)


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """The UI session made the integration log no error."""
    assert hass.integration_errors() == []
