"""Repair issues for a profile's certificates that have expired or soon will."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.scene_http_request import repairs
from custom_components.scene_http_request.const import DOMAIN

from .certs import Issued, TestCA
from .helpers import AddProfile

TRANSLATIONS = Path(repairs.__file__).parent / "translations"


def client_options(issued: Issued) -> dict[str, Any]:
    """Return a profile's options with a client certificate and its key."""
    return {"client_cert_pem": issued.cert_pem, "client_key_pem": issued.key_pem()}


def issue(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> ir.IssueEntry:
    """Return a profile's certificate issue, which must exist."""
    found = ir.async_get(hass).async_get_issue(
        DOMAIN, f"certificate_{entry.entry_id}_{kind}"
    )
    assert found is not None, kind
    return found


def issues(hass: HomeAssistant) -> set[str]:
    """Return the IDs of our issues."""
    return {
        issue_id for domain, issue_id in ir.async_get(hass).issues if domain == DOMAIN
    }


async def test_client_certificate_expiring(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """A client certificate that ends in 10 days raises a warning."""
    client = TestCA("Client CA").issue(client=True, days=10)
    entry = await add_profile("Alarm", **client_options(client))
    found = issue(hass, entry, "client")
    assert found.translation_key == "certificate_client_expiring"
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    end = client.certificate.not_valid_after_utc.date().isoformat()
    assert found.translation_placeholders == {"profile": "Alarm", "date": end}
    assert issues(hass) == {f"certificate_{entry.entry_id}_client"}


async def test_expired_certificates(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """An expired client certificate, and an expired CA among others, are errors.

    The CA text holds several certificates: the earliest end is reported.
    """
    client = TestCA("Client CA").issue(client=True, days=-2)
    good, old = TestCA("Good CA", days=365), TestCA("Old CA", days=-5)
    entry = await add_profile(
        "Alarm",
        ca_pem=good.cert_pem + old.cert_pem,
        **client_options(client),
    )
    for kind, certificate in (("client", client.certificate), ("ca", old.certificate)):
        found = issue(hass, entry, kind)
        assert found.translation_key == f"certificate_{kind}_expired"
        assert found.severity is ir.IssueSeverity.ERROR
        placeholders = found.translation_placeholders or {}
        assert (
            placeholders["date"] == certificate.not_valid_after_utc.date().isoformat()
        )
        assert "BEGIN" not in str(placeholders)


async def test_ca_expiring_and_valid_client(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """Each kind has its own issue: a CA ending in 29 days, a client in 60 days."""
    client = TestCA("Client CA").issue(client=True, days=60)
    entry = await add_profile(
        "Alarm",
        ca_pem=TestCA("CA", days=29).cert_pem,
        **client_options(client),
    )
    assert issue(hass, entry, "ca").translation_key == "certificate_ca_expiring"
    assert issues(hass) == {f"certificate_{entry.entry_id}_ca"}


async def test_valid_certificates_raise_nothing(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """Certificates valid for 60 days more, or none at all, raise no issue."""
    client = TestCA("Client CA").issue(client=True, days=60)
    await add_profile(
        "Alarm", ca_pem=TestCA("CA", days=60).cert_pem, **client_options(client)
    )
    await add_profile("Plain")
    assert issues(hass) == set()


async def test_replaced_certificate_clears_the_issue(
    hass: HomeAssistant, add_profile: AddProfile
) -> None:
    """New options (and the reload that follows) clear the issue."""
    ca = TestCA("Client CA")
    entry = await add_profile("Alarm", **client_options(ca.issue(client=True, days=10)))
    assert issue(hass, entry, "client")
    hass.config_entries.async_update_entry(
        entry, options=client_options(ca.issue(client=True, days=365))
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issues(hass) == set()


async def test_daily_check(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, add_profile: AddProfile
) -> None:
    """A certificate is flagged the day it enters the 30 days, then on expiry."""
    client = TestCA("Client CA").issue(client=True, days=30.5)
    entry = await add_profile("Alarm", **client_options(client))
    assert issues(hass) == set()
    freezer.tick(timedelta(hours=23))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issues(hass) == set()  # not checked again before a day has passed
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry, "client").translation_key == (
        "certificate_client_expiring"
    )
    for _ in range(30):
        freezer.tick(repairs.CHECK_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    found = issue(hass, entry, "client")
    assert found.translation_key == "certificate_client_expired"
    assert found.severity is ir.IssueSeverity.ERROR


async def test_issue_ends_with_the_profile(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, add_profile: AddProfile
) -> None:
    """Unloading or removing the profile deletes its issues and stops the check."""
    client = TestCA("Client CA").issue(client=True, days=40)
    entry = await add_profile("Alarm", **client_options(client))
    freezer.tick(timedelta(days=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issue(hass, entry, "client")
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issues(hass) == set()
    freezer.tick(timedelta(days=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert issues(hass) == set()
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert issue(hass, entry, "client")
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issues(hass) == set()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_issue_texts(language: str) -> None:
    """Every issue key has a title and a description naming the profile and date."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text())
    keys = {key for pair in repairs.ISSUE_KEYS.values() for key in pair}
    assert set(strings["issues"]) == keys
    for key in keys:
        text = strings["issues"][key]
        assert "{profile}" in text["title"]
        assert "{profile}" in text["description"]
        assert "{date}" in text["description"]
