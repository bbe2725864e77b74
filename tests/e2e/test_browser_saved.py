"""Saved requests in the real frontend (headless Chromium), in English and French.

On a profile made over REST: ⋮ > Add saved request opens the subentry form (its
Advanced section collapsed, then expanded; a value template typed in its Sensor
section), which is tried (the answer and the rendered value show in the form) and
then saved; the saved request's own device page shows its button, its last-result
sensor and its value sensor, and pressing the button updates both sensors. A
profile stored with a client certificate that expires in 10 days shows its issue
in Settings > Repairs.
Screenshots go to artifacts/screenshots/<lang>/saved-*.png for a person to look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import BASE_CONFIGURATION, EchoServer, HassInstance, require_e2e
from .harness import DOMAIN, config_entries_store, create_profile, stored_profile
from .ui import TIMEOUT_MS, Ui, exact, integration_strings, log_in, open_ui

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
]

FORM_FIELDS = ["name", "method", "url", "headers", "params", "body_type", "body"]
ADVANCED_FIELDS = ["timeout", "retries", "fail_on_http_error"]
REQUEST = "Left home"
# The echo server answers {"echo": {...}, "n": 42}: the value sensor shows 42.
VALUE_TEMPLATE = "{{ value_json.n }}"
VALUE = "42"
# A profile stored before start, with a client certificate that expires soon.
CERT_PROFILE = "Expiring cert"
CERT_ENTRY_ID = "01E2ECERT0000000000000000A"
CERT_DAYS = 10


def expiring_certificate(days: int) -> tuple[str, str, str]:
    """Return a self-signed certificate, its key (PEM) and its end date (UTC)."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e client")])
    now = datetime.now(UTC)
    end = now + timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert_pem, key_pem, end.date().isoformat()


@pytest.fixture(scope="module")
def certificate() -> tuple[str, str, str]:
    """The expiring client certificate of the stored profile."""
    return expiring_certificate(CERT_DAYS)


@pytest.fixture(scope="module")
def hass_config_files(certificate: tuple[str, str, str]) -> dict[str, str]:
    """Start with a profile whose client certificate expires in CERT_DAYS days.

    Stored before start rather than made through the config flow: the state (a
    certificate near its end) is what matters here, not the form that took it.
    """
    require_e2e(browser=True)
    cert_pem, key_pem, _ = certificate
    profile = stored_profile(
        CERT_ENTRY_ID,
        CERT_PROFILE,
        {"name": CERT_PROFILE, "base_url": "https://127.0.0.1:9/"},
        {"auth_type": "none", "client_cert_pem": cert_pem, "client_key_pem": key_pem},
    )
    return {
        "configuration.yaml": BASE_CONFIGURATION,
        "automations.yaml": "[]\n",
        ".storage/core.config_entries": config_entries_store([profile]),
    }


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
        dialog,
        [
            step["title"],
            *(step["data"][name] for name in FORM_FIELDS),
            step["sections"]["advanced"]["name"],
        ],
    )
    return dialog


async def check_advanced_section(ui: Ui, dialog: Locator) -> None:
    """The Advanced section starts collapsed; a click shows its three fields."""
    section = ui.strings["config_subentries"]["request"]["step"]["user"]["sections"]
    advanced = section["advanced"]
    panel = dialog.locator("ha-expansion-panel", has_text=advanced["name"])
    timeout = panel.locator("ha-selector-number input").first
    try_it = dialog.locator("ha-selector-boolean").last
    await try_it.scroll_into_view_if_needed()
    await panel.get_by_text(advanced["name"]).first.wait_for(timeout=TIMEOUT_MS)
    assert not await timeout.is_visible()
    await ui.shot("saved-03-form-bottom-advanced-collapsed")
    await panel.get_by_text(advanced["name"]).first.click()
    await timeout.wait_for(state="visible", timeout=TIMEOUT_MS)
    await ui.expect_texts(
        panel,
        [advanced["description"], *(advanced["data"][n] for n in ADVANCED_FIELDS)],
    )
    await try_it.scroll_into_view_if_needed()
    await ui.shot("saved-04-form-bottom-advanced-expanded")


async def fill_value_template(ui: Ui, dialog: Locator) -> None:
    """Open the Sensor section (collapsed) and type the value template."""
    step = ui.strings["config_subentries"]["request"]["step"]["user"]
    sensor = step["sections"]["sensor"]
    panel = dialog.locator("ha-expansion-panel", has_text=sensor["name"])
    editor = panel.locator("ha-code-editor .cm-content").first
    await panel.get_by_text(sensor["name"]).first.scroll_into_view_if_needed()
    assert not await editor.is_visible()
    await panel.get_by_text(sensor["name"]).first.click()
    await editor.wait_for(state="visible", timeout=TIMEOUT_MS)
    await ui.expect_texts(panel, [sensor["data"]["value_template"]])
    await editor.click()
    # Typed key by key, CodeMirror would close the braces itself.
    await ui.page.keyboard.insert_text(VALUE_TEMPLATE)
    await panel.get_by_text(VALUE_TEMPLATE).first.wait_for(timeout=TIMEOUT_MS)


async def try_then_save(ui: Ui, dialog: Locator) -> None:
    """Fill the form, open Advanced, turn on Try it and submit, then save."""
    page, text = ui.page, ui.frontend
    step = ui.strings["config_subentries"]["request"]["step"]["user"]
    await dialog.locator('input[name="name"]').fill(REQUEST)
    await dialog.locator('input[name="url"]').fill(
        "hooks/{{ who | default('nobody') }}"
    )
    await ui.shot("saved-02-form")
    await check_advanced_section(ui, dialog)
    await dialog.locator("ha-expansion-panel ha-selector-number input").first.fill(
        "7.5"
    )
    await fill_value_template(ui, dialog)
    try_it = dialog.locator("ha-selector-boolean").last
    await ui.expect_texts(dialog, [step["data"]["try_it"]])
    await try_it.locator("ha-switch").click()
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    await dialog.get_by_text(re.compile(r"HTTP 200 OK")).first.wait_for(
        timeout=TIMEOUT_MS
    )
    # The value template's rendering follows the content, after a line.
    rendered = dialog.get_by_text(VALUE, exact=True).first
    await rendered.wait_for(timeout=TIMEOUT_MS)
    await rendered.scroll_into_view_if_needed()
    await ui.shot("saved-05-try-it-answer")
    # The answer comes back with Try it off again: the next submit saves.
    await dialog.get_by_role("button", name=exact(text["submit"])).click()
    await dialog.locator('input[name="url"]').wait_for(
        state="detached", timeout=TIMEOUT_MS
    )
    await ui.shot("saved-06-saved")
    await dialog.get_by_role("button", name=exact(text["finish"])).click()
    await dialog.wait_for(state="hidden", timeout=TIMEOUT_MS)
    # The profile's row lists the saved request, with its device.
    rows = page.locator("ha-config-entry-row")
    await rows.get_by_text(REQUEST, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-07-integration-page")


async def request_device(hass: HassInstance, entry_id: str) -> dict[str, Any]:
    """Return the device of the profile's only saved request."""
    async with hass.client.websocket() as ws:
        devices = await ws.command("config/device_registry/list")
    ours = [d for d in devices if entry_id in d.get("config_entries", [])]
    assert len(ours) == 1, ours
    return dict(ours[0])


async def check_device_page(ui: Ui, hass: HassInstance, entry_id: str) -> str:
    """The saved request's own device lists its entities; Press updates the sensors.

    Returns the device id.
    """
    page = ui.page
    device = await request_device(hass, entry_id)
    (subentry_id,) = device["config_entries_subentries"][entry_id]
    assert device["name"] == REQUEST
    assert device["identifiers"] == [[DOMAIN, subentry_id]]
    # Entity names come from the server's language (English here), not the user's.
    names = integration_strings("en")["entity"]["sensor"]
    sensor_name = names["last_result"]["name"]
    value_name = names["value"]["name"]
    states = {s["entity_id"]: s for s in await hass.client.get("/api/states")}
    async with hass.client.websocket() as ws:
        registry = await ws.command("config/entity_registry/list")
    on_device = {e["entity_id"]: e for e in registry if e["device_id"] == device["id"]}
    (button,) = (e for e in on_device if e.startswith("button."))
    (sensor, value) = sorted(
        (e for e in on_device if e.startswith("sensor.")),
        key=lambda e: on_device[e]["unique_id"].endswith("_value"),
    )
    assert on_device[value]["unique_id"] == f"{subentry_id}_value"
    # The button takes the saved request's name; the sensors add theirs.
    assert states[button]["attributes"]["friendly_name"] == REQUEST
    assert states[sensor]["attributes"]["friendly_name"] == f"{REQUEST} {sensor_name}"
    assert states[value]["attributes"]["friendly_name"] == f"{REQUEST} {value_name}"
    assert states[value]["state"] == "unknown"  # no scan interval: not sent yet
    await page.goto(f"{hass.base_url}/config/devices/device/{device['id']}")
    await page.get_by_text(REQUEST, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    row = page.locator("hui-generic-entity-row", has_text=sensor_name)
    await row.wait_for(timeout=TIMEOUT_MS)
    value_row = page.locator("hui-generic-entity-row", has_text=value_name)
    await value_row.wait_for(timeout=TIMEOUT_MS)
    await page.locator("hui-button-entity-row").first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-08-device-page")
    await hass.client.post("/api/services/button/press", {"entity_id": button})
    after = await hass.client.get(f"/api/states/{sensor}")
    assert after["state"] == "200"
    assert (await hass.client.get(f"/api/states/{value}"))["state"] == VALUE
    # The sensor's row shows the new state (its text sits in the row's own slot).
    await row.get_by_text("200").first.wait_for(timeout=TIMEOUT_MS)
    await value_row.get_by_text(VALUE).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-09-device-page-after-press")
    return str(device["id"])


async def check_value_sensor(ui: Ui, hass: HassInstance, device_id: str) -> None:
    """Back on the device page, the value sensor's dialog shows the value."""
    page = ui.page
    value_name = integration_strings("en")["entity"]["sensor"]["value"]["name"]
    await page.goto(f"{hass.base_url}/config/devices/device/{device_id}")
    value_row = page.locator("hui-generic-entity-row", has_text=value_name)
    await value_row.get_by_text(VALUE).first.wait_for(timeout=TIMEOUT_MS)
    await value_row.get_by_text(value_name).first.click()
    dialog = page.locator("ha-more-info-dialog")
    await dialog.get_by_text(f"{REQUEST} {value_name}").first.wait_for(
        timeout=TIMEOUT_MS
    )
    await dialog.get_by_text(VALUE, exact=True).first.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-12-device-page-value-sensor")
    await page.keyboard.press("Escape")


async def check_certificate_repair(ui: Ui, hass: HassInstance, end: str) -> None:
    """Settings > Repairs lists the expiring certificate; its dialog gives the date."""
    page = ui.page
    issue = ui.strings["issues"]["certificate_client_expiring"]
    title = issue["title"].replace("{profile}", CERT_PROFILE)
    await page.goto(f"{hass.base_url}/config/repairs")
    item = page.get_by_text(title, exact=True).first
    await item.wait_for(timeout=TIMEOUT_MS)
    await ui.shot("saved-10-repairs")
    await item.click()
    dialog = page.locator("dialog-repairs-issue")
    description = issue["description"].split("{profile}")[0]
    await dialog.get_by_text(re.compile(re.escape(description))).first.wait_for(
        timeout=TIMEOUT_MS
    )
    await dialog.get_by_text(re.compile(re.escape(end))).first.wait_for(
        timeout=TIMEOUT_MS
    )
    await ui.shot("saved-11-repair-dialog")
    await page.keyboard.press("Escape")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_saved_request_in_the_ui(
    lang: str,
    *,
    hass: HassInstance,
    echo: EchoServer,
    browser: Browser,
    artifacts_dir: Path,
    certificate: tuple[str, str, str],
) -> None:
    """Add, try and save a saved request; its device; the certificate repair."""
    shots = artifacts_dir / "screenshots" / lang
    profile = f"Saved {lang}"
    created: dict[str, Any] = await create_profile(
        hass.client,
        name=profile,
        base_url=f"{echo.url}/{lang}/",
        settings={"auth_type": "none", "verify_ssl": True, "test_request": False},
    )
    entry_id = created["result"]["entry_id"]
    async with open_ui(hass, browser, lang, shots, old_shots="saved-*.png") as ui:
        await log_in(ui, hass.base_url)
        echo.drain()
        dialog = await open_request_form(ui, hass.base_url, profile)
        await try_then_save(ui, dialog)
        tried = await echo.next_request()
        assert tried.path == f"/{lang}/hooks/nobody"
        device_id = await check_device_page(ui, hass, entry_id)
        await check_certificate_repair(ui, hass, certificate[2])
        await check_value_sensor(ui, hass, device_id)
        assert len(ui.seen) == 12


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """The UI session made the integration log no error."""
    assert hass.integration_errors() == []


async def test_the_stored_profile_raised_the_issue(hass: HassInstance) -> None:
    """The stored profile loaded, and its issue is the only one of the integration."""
    entry = next(
        e for e in await hass.client.entries() if e["entry_id"] == CERT_ENTRY_ID
    )
    assert entry["state"] == "loaded"
    async with hass.client.websocket() as ws:
        issues = (await ws.command("repairs/list_issues"))["issues"]
    ours = [i for i in issues if i["domain"] == DOMAIN]
    assert [(i["issue_id"], i["severity"]) for i in ours] == [
        (f"certificate_{CERT_ENTRY_ID}_client", "warning")
    ]
