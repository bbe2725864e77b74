"""A real Home Assistant and a device behind a login page (auth_type login).

The profile is created through the REST config-flow API, its test request logs
in, and an automation calls scene_http_request.send through it: the device sees
one login, then the call with its session cookie. In the browser (en and fr),
the credentials step of a login profile is shown and saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
import re
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web
import pytest
import pytest_asyncio

from .conftest import BASE_CONFIGURATION, HassInstance, require_e2e
from .harness import DOMAIN, complete_settings, flow_step, form_input, start_flow
from .ui import TIMEOUT_MS, Ui, exact, log_in, open_ui

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PASSWORD = "e2e-SECRET-password"
SEND_EVENT = "scene_http_request_e2e_login_send"
DONE_EVENT = "scene_http_request_e2e_login_done"
LOGIN_FIELDS = [
    {"name": "user", "value": "{{ username }}"},
    {"name": "pass", "value": "{{ password }}"},
]
CREDENTIAL_FIELDS = [
    "login_url",
    "login_method",
    "login_body_type",
    "login_fields",
    "username",
    "password",
    "test_request",
]

AUTOMATIONS = f"""\
- id: e2e_login_send_on_event
  alias: e2e login send on event
  mode: queued
  triggers:
    - trigger: event
      event_type: {SEND_EVENT}
  actions:
    - action: {DOMAIN}.send
      data:
        config_entry_id: "{{{{ trigger.event.data.config_entry_id }}}}"
        method: POST
        url: "{{{{ trigger.event.data.url }}}}"
        json:
          source: automation
      response_variable: reply
    - event: {DONE_EVENT}
      event_data:
        status: "{{{{ reply.status }}}}"
        content: "{{{{ reply.content }}}}"
        headers: "{{{{ reply.headers }}}}"
"""


@dataclass
class Call:
    """One request the device saw: its path and whether its session was good."""

    method: str
    path: str
    authenticated: bool
    body: bytes


@dataclass
class LoginDevice:
    """A router-like device: POST /login (form) sets a session cookie.

    /api/... answers 200 with a good session cookie, else 401.
    """

    url: str = ""
    sessions: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)
    logins: list[dict[str, str]] = field(default_factory=list)
    calls: asyncio.Queue[Call] = field(default_factory=asyncio.Queue)
    runner: web.AppRunner | None = None

    async def _login(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.logins.append(form)
        if form.get("user") != "admin" or form.get("pass") != PASSWORD:
            return web.Response(status=401, text="bad login")
        session = secrets.token_hex(8)
        self.sessions.add(session)
        self.issued.append(session)
        response = web.Response(text="welcome")
        response.set_cookie("sid", session, httponly=True, path="/")
        return response

    async def _api(self, request: web.Request) -> web.Response:
        authenticated = request.cookies.get("sid") in self.sessions
        await self.calls.put(
            Call(request.method, request.path, authenticated, await request.read())
        )
        if not authenticated:
            return web.json_response({"error": "login first"}, status=401)
        return web.json_response({"ok": True, "path": request.path})

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_post("/login", self._login)
        app.router.add_route("*", "/api/{tail:.*}", self._api)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close the server."""
        if self.runner is not None:
            await self.runner.cleanup()

    async def next_call(self, within: float = 20.0) -> Call:
        """Return the next API call received (bounded wait)."""
        async with asyncio.timeout(within):
            return await self.calls.get()


@pytest.fixture(scope="module")
def hass_config_files() -> dict[str, str]:
    """Use the base configuration plus the event-triggered automation."""
    require_e2e(browser=False)
    return {"configuration.yaml": BASE_CONFIGURATION, "automations.yaml": AUTOMATIONS}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def device() -> AsyncIterator[LoginDevice]:
    """Run the login-protected device for the module."""
    server = LoginDevice()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """Carry the profile's entry id from test to test."""
    return {}


def _settings(**changes: Any) -> dict[str, Any]:
    return {
        "auth_type": "login",
        "login_url": "/login",
        "login_fields": LOGIN_FIELDS,
        "username": "admin",
        "password": PASSWORD,
        "test_request": False,
        **changes,
    }


async def test_login_profile_through_the_rest_flow(
    hass: HassInstance, device: LoginDevice, state: dict[str, Any]
) -> None:
    """The test request logs in; the wrong password shows on the login URL."""
    step = await start_flow(hass.client, DOMAIN)
    step = await flow_step(
        hass.client,
        step["flow_id"],
        {"name": "Router", "base_url": f"{device.url}/api/"},
    )
    step = await flow_step(
        hass.client, step["flow_id"], form_input(step, {"auth_type": "login"})
    )
    assert step["step_id"] == "credentials"
    names = {item["name"] for item in step["data_schema"]}
    assert set(CREDENTIAL_FIELDS) | {"login_header"} == names
    # A wrong password: login_failed on the login URL field, nothing saved.
    step = await flow_step(
        hass.client,
        step["flow_id"],
        form_input(step, _settings(password="wrong", test_request=True)),
    )
    assert step["errors"] == {"login_url": "login_failed"}
    assert device.logins[-1] == {"user": "admin", "pass": "wrong"}
    # The right one: the test request logs in, then reaches the API.
    step = await flow_step(
        hass.client, step["flow_id"], form_input(step, _settings(test_request=True))
    )
    assert step["errors"] == {}
    assert step["description_placeholders"]["test_result"] == "HTTP 200 OK"
    call = await device.next_call()
    assert (call.path, call.authenticated) == ("/api/", True)
    assert PASSWORD not in str(step)
    result = await complete_settings(hass.client, step, _settings())
    assert result["type"] == "create_entry"
    entry = result["result"]
    assert entry["state"] == "loaded"
    state["entry_id"] = entry["entry_id"]


async def test_automation_calls_through_the_login(
    hass: HassInstance, device: LoginDevice, state: dict[str, Any]
) -> None:
    """An automation's call logs in once, then carries the session cookie."""
    logins = len(device.logins)
    async with hass.client.websocket() as ws:
        await ws.command("subscribe_events", event_type=DONE_EVENT)
        for n in range(2):
            await hass.client.post(
                f"/api/events/{SEND_EVENT}",
                {"config_entry_id": state["entry_id"], "url": f"from/automation/{n}"},
            )
            call = await device.next_call()
            event = await ws.next_event()
            assert (call.method, call.path) == ("POST", f"/api/from/automation/{n}")
            assert call.authenticated is True
            assert str(event["data"]["status"]) == "200"
            assert "set-cookie" not in str(event["data"]["headers"]).lower()
    # The profile logged in once for both calls.
    assert len(device.logins) == logins + 1
    assert device.logins[-1] == {"user": "admin", "pass": PASSWORD}


async def test_expired_session_logs_in_again(
    hass: HassInstance, device: LoginDevice, state: dict[str, Any]
) -> None:
    """The device forgets its sessions: the next call logs in again, once."""
    device.sessions.clear()
    logins = len(device.logins)
    response = await hass.client.send(
        {"config_entry_id": state["entry_id"], "url": "after/expiry"}
    )
    refused = await device.next_call()
    retried = await device.next_call()
    assert (refused.authenticated, retried.authenticated) == (False, True)
    assert response["status"] == 200
    assert len(device.logins) == logins + 1
    assert "set-cookie" not in {key.lower() for key in response["headers"]}


async def open_credentials_step(
    ui: Ui, hass: HassInstance, name: str, base_url: str
) -> Locator:
    """Add a profile in the UI up to the credentials step of a login."""
    page, text = ui.page, ui.frontend
    next_button = re.compile(f"^({text['submit']}|{text['next']})$")
    await page.goto(f"{hass.base_url}/config/integrations/dashboard")
    await page.locator('ha-button[slot="fab"]').click()
    await page.locator("dialog-add-integration ha-input-search input").fill(
        "Scene HTTP"
    )
    await page.locator(
        "dialog-add-integration ha-integration-list-item",
        has_text="Scene HTTP Request",
    ).click()
    dialog = page.locator("dialog-data-entry-flow")
    await dialog.locator('input[name="name"]').wait_for(timeout=TIMEOUT_MS)
    await dialog.locator('input[name="name"]').fill(name)
    await dialog.locator('input[name="base_url"]').fill(base_url)
    await dialog.get_by_role("button", name=next_button).click()
    await dialog.locator("ha-selector-object").wait_for(timeout=TIMEOUT_MS)
    await ui.choose_auth(dialog, "login")
    await ui.shot("01-settings-login")
    await dialog.get_by_role("button", name=next_button).click()
    await dialog.locator('input[name="login_url"]').wait_for(timeout=TIMEOUT_MS)
    return dialog


async def check_credentials_step(ui: Ui, dialog: Locator) -> None:
    """Its fields and texts, the classic rows, the folded header, a row's editor."""
    page = ui.page
    step = ui.strings["config"]["step"]["credentials"]
    await ui.expect_texts(
        dialog, ui.step_texts("config", "credentials", CREDENTIAL_FIELDS)
    )
    section = step["sections"]["login_header"]
    await ui.expect_texts(dialog, [section["name"]])
    rows = dialog.locator("ha-selector-object")
    for row in ("username", "password"):
        await rows.get_by_text(row, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("02-credentials-login")
    # A description, up to its first code span. (An object selector, the rows,
    # shows none: its rows' editor has the texts.)
    example = step["data_description"]["login_url"].split("`")[0].strip()
    await dialog.get_by_text(example, exact=False).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot_bottom(dialog, "03-credentials-login-bottom")
    panel = dialog.locator("ha-form-expandable ha-expansion-panel").first
    assert await panel.evaluate("element => element.expanded") is False
    await panel.get_by_text(section["name"], exact=True).first.click()
    await ui.expect_texts(panel, list(section["data"].values()))
    await ui.shot_bottom(dialog, "04-credentials-login-header")
    # The rows editor: Add opens a small form with a row's name and value.
    await rows.get_by_role("button", name=exact(ui.frontend["add"])).click()
    editor = page.locator("dialog-form")
    await editor.locator('input[name="name"]').wait_for(timeout=TIMEOUT_MS)
    row_texts = ui.strings["selector"]["login_field"]["fields"]
    await ui.expect_texts(editor, [row_texts[key]["name"] for key in row_texts])
    await ui.shot("05-credentials-login-row-editor")
    await page.keyboard.press("Escape")
    await editor.locator('input[name="name"]').wait_for(
        state="detached", timeout=TIMEOUT_MS
    )


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_login_credentials_step_in_the_ui(
    lang: str,
    hass: HassInstance,
    device: LoginDevice,
    browser: Browser,
    artifacts_dir: Path,
) -> None:
    """The credentials step of a login profile: labels, rows editor, saved."""
    shots = artifacts_dir / "screenshots" / f"login-{lang}"
    async with open_ui(hass, browser, lang, shots, height=1100) as ui:
        text = ui.frontend
        name = f"Login {lang}"
        await log_in(ui, hass.base_url)
        dialog = await open_credentials_step(
            ui, hass, name, f"{device.url}/api/{lang}/"
        )
        await check_credentials_step(ui, dialog)
        await dialog.locator('input[name="login_url"]').fill("/login")
        await dialog.locator('input[name="username"]').fill("admin")
        await dialog.locator('input[name="password"]').fill(PASSWORD)
        await dialog.get_by_role("button", name=exact(text["submit"])).click()
        await dialog.locator("step-flow-create-entry").wait_for(timeout=TIMEOUT_MS)
        await ui.shot("06-created")
        await dialog.get_by_role("button", name=exact(text["finish"])).click()
        entry = next(e for e in await hass.client.entries() if e["title"] == name)
        assert entry["state"] == "loaded"
        assert len(ui.seen) == 6


async def test_no_errors_logged_by_the_integration(
    hass: HassInstance, device: LoginDevice
) -> None:
    """The login sessions made the integration log no error, and no secret."""
    assert hass.integration_errors() == []
    log = "\n".join(hass.log_lines())
    assert PASSWORD not in log
    assert device.issued
    assert not any(session in log for session in device.issued)
