"""A forward proxy per profile: plain HTTP, https through CONNECT, proxy auth."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import logging
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.scene_http_request.url import UrlError, normalize_proxy_url

from .certs import TestCA
from .helpers import (
    AddProfile,
    add_entry,
    assert_setup_fails_on_field,
    configure_flow,
    send,
    send_error,
    suggested_values,
    user_step,
)
from .proxy import ForwardProxy
from .server import RecordingServer, ThreadedServer

PROXY_PASSWORD = "proxy-SECRET-password"
LOGGER_NAME = "custom_components.scene_http_request"


@pytest.fixture
async def setup_integration(hass: HomeAssistant, add_profile: AddProfile) -> None:
    """Set up the integration (the action) with no profile."""
    await add_profile("Plain")


@pytest.fixture
async def proxy(socket_enabled: None) -> AsyncGenerator[ForwardProxy]:
    """A forward proxy without authentication."""
    forward = ForwardProxy()
    await forward.start()
    yield forward
    await forward.close()


@pytest.fixture
async def auth_proxy(socket_enabled: None) -> AsyncGenerator[ForwardProxy]:
    """A forward proxy that requires a username and password."""
    forward = ForwardProxy(credentials=("ha", PROXY_PASSWORD))
    await forward.start()
    yield forward
    await forward.close()


pytestmark = pytest.mark.usefixtures("setup_integration")


def _proxied(proxy: ForwardProxy, *, password: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {"proxy_url": proxy.url}
    if password is not None:
        options |= {"proxy_username": "ha", "proxy_password": password}
    return options


async def test_http_through_a_proxy(
    hass: HomeAssistant,
    server: RecordingServer,
    proxy: ForwardProxy,
    add_profile: AddProfile,
) -> None:
    """A plain http request goes to the proxy in absolute form."""
    entry = await add_profile("Proxied", server.url("/"), **_proxied(proxy))
    response = await send(hass, config_entry_id=entry.entry_id, url="via?x=1")
    assert response["status"] == 200
    assert [(seen.method, seen.target) for seen in proxy.seen] == [
        ("GET", server.url("/via?x=1"))
    ]
    assert server.last.path == "/via"
    assert response["url"] == server.url("/via?x=1")


async def test_http_through_a_proxy_with_auth(
    hass: HomeAssistant,
    server: RecordingServer,
    auth_proxy: ForwardProxy,
    caplog: pytest.LogCaptureFixture,
    add_profile: AddProfile,
) -> None:
    """The proxy gets its credentials; the server never sees them."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    options = _proxied(auth_proxy, password=PROXY_PASSWORD)
    entry = await add_profile("Proxied", server.url("/"), **options)
    response = await send(hass, config_entry_id=entry.entry_id, url="secret")
    assert response["status"] == 200
    assert auth_proxy.seen[-1].proxy_authorization is not None
    assert "Proxy-Authorization" not in server.last.headers
    assert PROXY_PASSWORD not in caplog.text

    wrong = await add_profile("Wrong", **_proxied(auth_proxy, password="nope"))
    err = await send_error(hass, config_entry_id=wrong.entry_id, url=server.url("/x"))
    # For plain http the proxy's 407 is the answer itself.
    assert err.translation_key == "http_error"
    assert err.translation_placeholders["status"] == "407"


async def test_https_through_connect(
    hass: HomeAssistant,
    tmp_path: Path,
    proxy: ForwardProxy,
    auth_proxy: ForwardProxy,
    add_profile: AddProfile,
) -> None:
    """An https request goes through a CONNECT tunnel, with and without auth."""
    ca = TestCA()
    with ThreadedServer(ca.server_context(tmp_path)) as api:
        target = f"127.0.0.1:{api.port}"
        for name, forward, password in (
            ("Open", proxy, None),
            ("Auth", auth_proxy, PROXY_PASSWORD),
        ):
            entry = await add_profile(
                name,
                ca_pem=ca.cert_pem,
                **_proxied(forward, password=password),
            )
            response = await send(
                hass, config_entry_id=entry.entry_id, url=api.url(f"/{name}")
            )
            assert response["status"] == 200
            assert forward.seen[-1].method == "CONNECT"
            assert forward.seen[-1].target == target
            assert (forward.seen[-1].proxy_authorization is None) == (password is None)
        assert api.received == ["/Open", "/Auth"]
        # Close the tunnels while the TLS server's loop still runs to close its end.
        await proxy.drop_connections()
        await auth_proxy.drop_connections()


async def test_proxy_errors(
    hass: HomeAssistant,
    tmp_path: Path,
    auth_proxy: ForwardProxy,
    closed_port: int,
    add_profile: AddProfile,
) -> None:
    """A proxy that refuses the tunnel, or can't be reached, is proxy_error."""
    ca = TestCA()
    with ThreadedServer(ca.server_context(tmp_path)) as api:
        refused = await add_profile(
            "Refused", ca_pem=ca.cert_pem, **_proxied(auth_proxy, password="x")
        )
        err = await send_error(hass, config_entry_id=refused.entry_id, url=api.url())
        assert err.translation_key == "proxy_error"
        assert err.translation_placeholders == {
            "host": f"127.0.0.1:{api.port}",
            "proxy": f"127.0.0.1:{auth_proxy.port}",
            "status": "407",
        }
        down = await add_profile("Down", proxy_url=f"http://127.0.0.1:{closed_port}")
        err = await send_error(hass, config_entry_id=down.entry_id, url=api.url())
        assert err.translation_key == "proxy_error"
        assert err.translation_placeholders["status"] == "-"
        assert api.received == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://proxy.lan:3128", "http://proxy.lan:3128"),
        ("http://proxy.lan:3128/", "http://proxy.lan:3128"),
        ("https://proxy.lan", "https://proxy.lan"),
        ("socks5://proxy.lan:1080", None),
        ("http://user:pw@proxy.lan:3128", None),
        ("http://proxy.lan:3128/path", None),
        ("http://proxy.lan:3128?x=1", None),
        ("proxy.lan:3128", None),
        ("http://", None),
    ],
)
def test_normalize_proxy_url(raw: str, expected: str | None) -> None:
    """A proxy is http(s)://host[:port], nothing more."""
    if expected is None:
        with pytest.raises(UrlError) as info:
            normalize_proxy_url(raw)
        assert info.value.key == "invalid_proxy_url"
    else:
        assert str(normalize_proxy_url(raw)) == expected


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"proxy_url": "ftp://x"}, "proxy_url"),
        ({"proxy_url": "http://p:1", "proxy_username": "a:b"}, "proxy_username"),
        ({"proxy_url": "http://p:1", "proxy_username": 5}, "proxy_username"),
        ({"proxy_url": "http://p:1", "proxy_username": "a\nb"}, "proxy_username"),
        (
            {"proxy_url": "http://p:1", "proxy_username": "a", "proxy_password": 1},
            "proxy_password",
        ),
    ],
)
async def test_bad_stored_proxy_fails_setup(
    hass: HomeAssistant, options: dict[str, Any], field: str
) -> None:
    """Stored proxy settings that can't be used fail the entry."""
    await assert_setup_fails_on_field(hass, options, field)


async def test_flow_proxy_errors_and_kept_password(hass: HomeAssistant) -> None:
    """A bad proxy URL or username errs on its section; a blank password stays."""
    result = await user_step(hass, "Proxied", "https://api.example.com/")
    result = await configure_flow(
        hass, result, {"proxy_url": "http://proxy.lan/x", "proxy_username": "a:b"}
    )
    # The section shows one error at a time: the URL's first.
    assert result["errors"] == {"proxy": "invalid_proxy_url"}
    result = await configure_flow(
        hass, result, {"proxy_url": "http://proxy.lan", "proxy_username": "a:b"}
    )
    assert result["errors"] == {"proxy": "invalid_proxy_username"}
    result = await configure_flow(
        hass,
        result,
        {
            "proxy_url": " http://proxy.lan:3128/ ",
            "proxy_username": "ha",
            "proxy_password": PROXY_PASSWORD,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["proxy_url"] == "http://proxy.lan:3128"
    assert result["options"]["proxy_password"] == PROXY_PASSWORD

    entry = add_entry(
        hass, "Other", "https://other.example.com/", options=result["options"]
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested_values(result)["proxy_username"] == "ha"
    assert "proxy_password" not in suggested_values(result)
    result = await configure_flow(
        hass, result, {"proxy_url": "http://proxy.lan:3128", "proxy_username": "ha"}
    )
    assert result["data"]["proxy_password"] == PROXY_PASSWORD
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await configure_flow(hass, result, {})
    assert "proxy_password" not in result["data"]
    assert "proxy_url" not in result["data"]


async def test_flow_test_request_reports_the_proxy(
    hass: HomeAssistant,
    server: RecordingServer,
    auth_proxy: ForwardProxy,
    closed_port: int,
) -> None:
    """The test request goes through the proxy; its failures have their message."""
    result = await user_step(hass, "Proxied", server.url("/api/"))
    result = await configure_flow(
        hass,
        result,
        {"proxy_url": f"http://127.0.0.1:{closed_port}", "test_request": True},
    )
    assert result["errors"] == {"base": "proxy_error"}
    result = await configure_flow(
        hass,
        result,
        {
            **_proxied(auth_proxy, password=PROXY_PASSWORD),
            "test_request": True,
        },
    )
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"test_result": "HTTP 200 OK"}
    assert auth_proxy.seen[-1].target == server.url("/api/")


async def test_proxy_credentials_redacted_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    proxy: ForwardProxy,
    add_profile: AddProfile,
) -> None:
    """Diagnostics keep the proxy URL, never its username or password."""
    options = _proxied(proxy, password=PROXY_PASSWORD)
    entry = await add_profile("Proxied", **options)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    stored = diagnostics["entry"]["options"]
    assert stored["proxy_url"] == proxy.url
    assert stored["proxy_username"] == "**REDACTED**"
    assert stored["proxy_password"] == "**REDACTED**"
