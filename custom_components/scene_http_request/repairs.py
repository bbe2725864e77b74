"""Repair issues for a profile's certificates that have expired or soon will.

A profile may hold a client certificate and trusted CA certificates (PEM text).
Their end dates are read once in the executor when the profile is set up (the
options flow reloads it, so a replaced certificate is read again), then compared
with the clock at setup and once a day. An issue names the profile and the date,
never the certificate; it lasts only while the profile is loaded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from cryptography import x509
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .profile import SceneHttpRequestConfigEntry
from .transport import TlsSettings

WARN_BEFORE: Final = timedelta(days=30)
CHECK_INTERVAL: Final = timedelta(days=1)

KIND_CLIENT: Final = "client"
KIND_CA: Final = "ca"

# Translation keys, by kind: (expiring, expired).
ISSUE_KEYS: Final = {
    KIND_CLIENT: ("certificate_client_expiring", "certificate_client_expired"),
    KIND_CA: ("certificate_ca_expiring", "certificate_ca_expired"),
}

type EndDates = dict[str, datetime | None]


def issue_id(entry_id: str, kind: str) -> str:
    """Return the ID of a profile's issue for one kind of certificate."""
    return f"certificate_{entry_id}_{kind}"


def earliest_end(pem: str) -> datetime | None:
    """Return the earliest end of validity of a PEM text's certificates (blocking).

    None when the text holds no certificate that can be read: setup reports
    unreadable certificates itself.
    """
    if not pem:
        return None
    try:
        certificates = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return None
    return min(certificate.not_valid_after_utc for certificate in certificates)


def end_dates(tls: TlsSettings) -> EndDates:
    """Return the earliest end of the client and of the CA certificates (blocking)."""
    return {
        KIND_CLIENT: earliest_end(tls.client_cert_pem),
        KIND_CA: earliest_end(tls.ca_pem),
    }


@callback
def async_update_issues(
    hass: HomeAssistant, entry_id: str, profile: str, dates: EndDates
) -> None:
    """Raise, update or delete each certificate issue of a profile."""
    now = dt_util.utcnow()
    for kind, end in dates.items():
        if end is None or end - now > WARN_BEFORE:
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id, kind))
            continue
        expiring, expired = ISSUE_KEYS[kind]
        has_expired = end <= now
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id(entry_id, kind),
            is_fixable=False,
            severity=(
                ir.IssueSeverity.ERROR if has_expired else ir.IssueSeverity.WARNING
            ),
            translation_key=expired if has_expired else expiring,
            translation_placeholders={
                "profile": profile,
                "date": end.date().isoformat(),
            },
        )


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete a profile's certificate issues."""
    for kind in ISSUE_KEYS:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id, kind))


async def async_watch_certificates(
    hass: HomeAssistant, entry: SceneHttpRequestConfigEntry, tls: TlsSettings
) -> None:
    """Check the profile's certificates now and daily, until it is unloaded."""
    dates = await hass.async_add_executor_job(end_dates, tls)

    @callback
    def check(_now: datetime | None = None) -> None:
        async_update_issues(hass, entry.entry_id, entry.title, dates)

    @callback
    def forget() -> None:
        async_delete_issues(hass, entry.entry_id)

    check()
    entry.async_on_unload(forget)
    if any(end is not None for end in dates.values()):
        entry.async_on_unload(
            async_track_time_interval(
                hass,
                check,
                CHECK_INTERVAL,
                name=f"{DOMAIN} certificates",
                cancel_on_shutdown=True,
            )
        )
