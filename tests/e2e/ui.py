"""Helpers for the browser tests: a page of the real frontend and its texts.

The `browser` fixture (headless Chromium) is in conftest.py; open_ui gives a test
a new page in the user's language, with its screenshot folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

from .harness import CUSTOM_COMPONENTS, DOMAIN, PASSWORD, USERNAME

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

    from .conftest import HassInstance

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


def clear_shots(shots: Path, pattern: str) -> None:
    """Create the screenshot folder; remove the screenshots matching pattern."""
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob(pattern):
        old.unlink()


@asynccontextmanager
async def open_ui(
    hass: HassInstance,
    browser: Browser,
    lang: str,
    shots: Path,
    *,
    height: int = 1000,
    old_shots: str = "*.png",
) -> AsyncIterator[Ui]:
    """Yield a new page in lang; its old screenshots (old_shots in shots) removed.

    The user's language is set first, as Profile > Language does; the browser
    context (1280 x height) is closed on the way out.
    """
    await asyncio.to_thread(clear_shots, shots, old_shots)
    await set_user_language(hass, lang)
    context = await browser.new_context(
        locale=LOCALES[lang], viewport={"width": 1280, "height": height}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield Ui(
            page=await context.new_page(),
            lang=lang,
            shots=shots,
            frontend=frontend_strings(lang),
            strings=integration_strings(lang),
            seen=[],
        )
    finally:
        await context.close()
