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
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from .conftest import EchoServer, HassInstance, require_e2e
from .harness import CUSTOM_COMPONENTS, DOMAIN, PASSWORD, USERNAME

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCALES = {"en": "en-US", "fr": "fr-FR"}
# The settings step: headers, authentication type, then folded sections.
SETTINGS_FIELDS = ["headers", "auth_type", "test_request"]
SECTIONS = {
    "connection": ["timeout", "verify_ssl", "max_response_size"],
    "tls": [
        "ca_pem",
        "client_cert_pem",
        "client_key_pem",
        "client_key_password",
        "legacy_ciphers",
    ],
    "proxy": ["proxy_url", "proxy_username", "proxy_password"],
}
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
TIMEOUT_MS = 30_000

# Frontend strings used to find buttons, read from the installed frontend package.
FRONTEND_KEYS = {
    "submit": "ui.panel.config.integrations.config_flow.submit",
    "next": "ui.panel.config.integrations.config_flow.next",
    "finish": "ui.panel.config.integrations.config_flow.finish",
    "configure": "ui.panel.config.integrations.config_entry.configure",
    "add": "ui.common.add",
    "yaml_mode": "ui.panel.config.tools.tabs.actions.yaml_mode",
    "perform": "ui.panel.config.tools.tabs.actions.call_service",
    "response": "ui.panel.config.tools.tabs.actions.response",
}


def frontend_strings(lang: str) -> dict[str, str]:
    """Return FRONTEND_KEYS -> text in lang, from hass_frontend's translation files."""
    import hass_frontend  # noqa: PLC0415

    root = Path(hass_frontend.where()) / "static" / "translations"
    pattern = re.compile(rf"^{lang}-[0-9a-f]+\.json$")
    flat: dict[str, str] = {}
    for folder in (root, root / "config"):
        for path in folder.iterdir():
            if pattern.match(path.name):
                flat.update(json.loads(path.read_text(encoding="utf-8")))
    return {name: flat[key] for name, key in FRONTEND_KEYS.items()}


def integration_strings(lang: str) -> dict[str, Any]:
    """Return this integration's translations for lang."""
    path = CUSTOM_COMPONENTS / DOMAIN / "translations" / f"{lang}.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def exact(text: str) -> re.Pattern[str]:
    """Match a button's whole accessible name."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


@dataclass
class Ui:
    """One browser page plus what the checks need."""

    page: Page
    lang: str
    shots: Path
    frontend: dict[str, str]
    strings: dict[str, Any]
    seen: list[str]

    async def shot(self, name: str) -> None:
        """Save a screenshot of the page as artifacts/screenshots/<lang>/<name>.png."""
        await self.page.wait_for_timeout(400)  # let ripples and transitions settle
        path = self.shots / f"{name}.png"
        await self.page.screenshot(path=path)
        self.seen.append(str(path))

    async def shot_bottom(self, scope: Locator, name: str) -> None:
        """Scroll the last field of a long form into view, then take a screenshot."""
        last = scope.locator("ha-selector").filter(visible=True).last
        await last.scroll_into_view_if_needed()
        await self.shot(name)

    async def expect_texts(self, scope: Locator, texts: list[str]) -> None:
        """Wait until every text shows inside scope (shadow roots are pierced)."""
        for text in texts:
            # A required field's label ends in "*".
            label = re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")
            await scope.get_by_text(label).first.wait_for(timeout=TIMEOUT_MS)

    def step_texts(self, section: str, step: str, fields: list[str]) -> list[str]:
        """Return the translated title and field labels of a flow step."""
        step_strings: Mapping[str, Any] = self.strings[section]["step"][step]
        texts = [step_strings["title"]] if "title" in step_strings else []
        labels = step_strings.get("data", {})
        texts += [labels[field] for field in fields if field in labels]
        return texts

    def section_texts(self, flow: str, step: str, name: str) -> list[str]:
        """Return the translated name and field labels of a settings section."""
        texts = self.strings[flow]["step"][step]["sections"][name]
        return [texts["name"], *(texts["data"][field] for field in SECTIONS[name])]

    def auth_label(self, auth_type: str) -> str:
        """Return the translated name of an authentication type."""
        return str(self.strings["selector"]["auth_type"]["options"][auth_type])

    async def choose_auth(self, dialog: Locator, auth_type: str) -> None:
        """Pick an authentication type in the settings step's dropdown."""
        await dialog.locator("ha-selector-select ha-picker-field").first.click()
        label = self.auth_label(auth_type)
        await dialog.locator("ha-dropdown-item", has_text=label).first.click()
        await dialog.locator(
            "ha-selector-select ha-picker-field", has_text=label
        ).first.wait_for(timeout=TIMEOUT_MS)

    async def check_settings_step(self, dialog: Locator, flow: str, step: str) -> None:
        """The settings step shows its fields and the folded sections' names."""
        texts = self.step_texts(flow, step, SETTINGS_FIELDS[:2])
        sections = self.strings[flow]["step"][step]["sections"]
        await self.expect_texts(
            dialog, texts + [sections[name]["name"] for name in SECTIONS]
        )
        # Folded: each section's panel is closed, its fields hidden.
        for name in SECTIONS:
            panel = self.panel(dialog, flow, step, name)
            assert await panel.evaluate("element => element.expanded") is False
            assert not await panel.locator("ha-selector").first.is_visible()

    def panel(self, dialog: Locator, flow: str, step: str, name: str) -> Locator:
        """Return the expansion panel of a settings section (they come in order)."""
        del flow, step  # the same panels in the config and options flows
        index = list(SECTIONS).index(name)
        return (
            dialog.locator("ha-form-expandable")
            .nth(index)
            .locator("ha-expansion-panel")
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Launch Debian's Chromium through Playwright (never `playwright install`)."""
    require_e2e(browser=True)
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def set_user_language(hass: HassInstance, lang: str) -> None:
    """Store the UI language in the user's profile, as Profile > Language does."""
    async with hass.client.websocket() as ws:
        await ws.command(
            "frontend/set_user_data", key="language", value={"language": lang}
        )


async def log_in(ui: Ui, base_url: str) -> None:
    """Log in on the real login page."""
    page = ui.page
    await page.goto(f"{base_url}/")
    await page.locator('input[name="username"]').fill(USERNAME)
    await page.locator('input[name="password"]').fill(PASSWORD)
    await page.locator('input[name="password"]').press("Enter")
    await page.locator("ha-sidebar").wait_for(timeout=TIMEOUT_MS)


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
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
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
    finally:
        await context.close()


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """The UI session made the integration log no error."""
    assert hass.integration_errors() == []
