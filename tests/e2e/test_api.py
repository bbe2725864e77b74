"""A real Home Assistant: profile, action, automation, options and removal over REST.

One `hass` process and one local HTTP server for the whole module; the tests run
in file order and build on each other (create, use, change, remove the profile).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import BASE_CONFIGURATION, EchoServer, HassInstance, require_e2e
from .harness import DOMAIN, HassApiError, create_profile, flow_step

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TOKEN = "e2e-token-1234"
SEND_EVENT = "scene_http_request_e2e_send"
DONE_EVENT = "scene_http_request_e2e_done"

# An automation triggered by an event: it sends the request through the profile
# given in the event, then fires an event with parts of the response.
AUTOMATIONS = f"""\
- id: e2e_send_on_event
  alias: e2e send on event
  mode: queued
  triggers:
    - trigger: event
      event_type: {SEND_EVENT}
  actions:
    - action: {DOMAIN}.send
      data:
        config_entry_id: "{{{{ trigger.event.data.config_entry_id }}}}"
        method: PUT
        url: "{{{{ trigger.event.data.url }}}}"
        headers:
          X-Call: automation
        json:
          source: automation
          n: "{{{{ trigger.event.data.n }}}}"
      response_variable: reply
    - event: {DONE_EVENT}
      event_data:
        status: "{{{{ reply.status }}}}"
        ok: "{{{{ reply.ok }}}}"
        content: "{{{{ reply.content }}}}"
        profile: "{{{{ reply.profile }}}}"
"""


@pytest.fixture(scope="module")
def hass_config_files() -> dict[str, str]:
    """Use the base configuration plus the event-triggered automation."""
    require_e2e(browser=False)
    return {"configuration.yaml": BASE_CONFIGURATION, "automations.yaml": AUTOMATIONS}


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """Carry the profile's entry id from test to test."""
    return {}


async def test_hass_started_without_the_action(hass: HassInstance) -> None:
    """Home Assistant runs; the integration loads only with its first profile.

    It has no YAML set-up (config_entry_only_config_schema), so before a profile
    exists nothing imports it and scene_http_request.send is not registered.
    """
    config = await hass.client.get("/api/config")
    assert config["state"] == "RUNNING"
    assert hass.setup_failures() == []
    assert DOMAIN not in config["components"]
    services = await hass.client.get("/api/services")
    assert DOMAIN not in {item["domain"] for item in services}
    print(f"hass ready after {hass.startup_seconds:.1f} s")  # noqa: T201


async def test_create_profile_through_config_flow(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """The user and settings steps create a loaded entry with header and token."""
    result = await create_profile(
        hass.client,
        name="Echo",
        base_url=f"{echo.url}/api",
        settings={
            "headers": [{"name": "X-Profile", "value": "profile-1"}],
            "auth_type": "bearer",
            "token": TOKEN,
            "timeout": 5,
            "verify_ssl": True,
            "test_request": False,
        },
    )
    entry = result["result"]
    assert entry["domain"] == DOMAIN
    assert entry["title"] == "Echo"
    assert entry["state"] == "loaded"
    state["entry_id"] = entry["entry_id"]
    entries = await hass.client.entries()
    assert [item["entry_id"] for item in entries] == [entry["entry_id"]]
    # Setting up the first profile loaded the integration and registered the action.
    services = await hass.client.get("/api/services")
    assert "send" in {item["domain"]: item["services"] for item in services}[DOMAIN]


async def test_save_to_www_is_served_at_local(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """save_to writes under config/www (allowed by default); /local/ serves it."""
    echo.drain()
    response = await hass.client.send(
        {
            "config_entry_id": state["entry_id"],
            "url": "files/e2e-report.json",
            "save_to": "www/",
        }
    )
    received = await echo.next_request()
    assert received.path == "/api/files/e2e-report.json"
    assert response["content"] is None
    assert response["saved_to"].endswith("/www/e2e-report.json")
    assert response["saved_bytes"] > 0
    served = await hass.client.get("/local/e2e-report.json")
    assert served["echo"] == {"method": "GET", "path": "/api/files/e2e-report.json"}
    refused = await hass.client.send(
        {"url": f"{echo.url}/x", "save_to": "/etc/"}, expect=400
    )
    assert "allowlist_external_dirs" in str(refused)


async def test_duplicate_profile_is_aborted(
    hass: HassInstance, echo: EchoServer
) -> None:
    """A second profile with the same base URL is refused by the flow."""
    step = await hass.client.post(
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    assert step["step_id"] == "user"
    step = await flow_step(
        hass.client, step["flow_id"], {"name": "Echo 2", "base_url": f"{echo.url}/api/"}
    )
    assert step["type"] == "abort"
    assert step["reason"] == "already_configured"


async def test_send_over_rest_with_response(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """?return_response gives the parsed answer; the server got the merged request."""
    echo.drain()
    response = await hass.client.send(
        {
            "config_entry_id": state["entry_id"],
            "method": "POST",
            "url": "things/1",
            "headers": {"X-Call": "rest"},
            "params": {"q": "1"},
            "json": {"hello": "world", "n": 1},
        }
    )
    received = await echo.next_request()
    assert received.method == "POST"
    assert received.path == "/api/things/1"
    assert received.query == {"q": ["1"]}
    assert received.headers["x-profile"] == "profile-1"
    assert received.headers["x-call"] == "rest"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["content-type"].startswith("application/json")
    assert received.json() == {"hello": "world", "n": 1}

    assert response["status"] == 200
    assert response["ok"] is True
    assert response["reason"] == "OK"
    assert response["url"] == f"{echo.url}/api/things/1?q=1"
    assert response["content_type"] == "application/json"
    assert response["content"] == {
        "echo": {"method": "POST", "path": "/api/things/1"},
        "n": 42,
    }
    assert response["content_encoding"] is None
    assert response["headers"]["X-Echo"] == "yes"
    assert response["attempts"] == 1
    assert response["elapsed"] >= 0
    assert response["profile"] == "Echo"


async def test_send_over_rest_without_response(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """Without ?return_response the request is still sent; no response comes back."""
    echo.drain()
    body = await hass.client.post(
        f"/api/services/{DOMAIN}/send",
        {
            "config_entry_id": state["entry_id"],
            "method": "DELETE",
            "url": "things/1",
        },
    )
    assert "service_response" not in body
    received = await echo.next_request()
    assert (received.method, received.path) == ("DELETE", "/api/things/1")
    assert received.headers["authorization"] == f"Bearer {TOKEN}"


async def test_http_error_status(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """A 4xx fails the call unless fail_on_http_error is false."""
    echo.drain()
    with pytest.raises(HassApiError) as err:
        await hass.client.send(
            {"config_entry_id": state["entry_id"], "url": "status/404"}
        )
    assert err.value.status in (400, 500)
    assert "404" in str(err.value.body)
    response = await hass.client.send(
        {
            "config_entry_id": state["entry_id"],
            "url": "status/404",
            "fail_on_http_error": False,
        }
    )
    assert response["status"] == 404
    assert response["ok"] is False
    assert len(echo.drain()) == 2


async def test_send_from_automation(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """An event fired over REST triggers an automation that calls the action."""
    echo.drain()
    async with hass.client.websocket() as ws:
        await ws.command("subscribe_events", event_type=DONE_EVENT)
        await hass.client.post(
            f"/api/events/{SEND_EVENT}",
            {"config_entry_id": state["entry_id"], "url": "from/automation", "n": 3},
        )
        received = await echo.next_request()
        event = await ws.next_event()
    assert received.method == "PUT"
    assert received.path == "/api/from/automation"
    assert received.headers["x-call"] == "automation"
    assert received.headers["x-profile"] == "profile-1"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.json() == {"source": "automation", "n": 3}
    data = event["data"]
    assert data["status"] == 200
    assert data["ok"] is True
    assert data["profile"] == "Echo"
    assert data["content"]["echo"] == {"method": "PUT", "path": "/api/from/automation"}


async def test_profile_applies_to_absolute_url(
    hass: HassInstance, echo: EchoServer
) -> None:
    """Without config_entry_id, the profile whose base URL prefixes the URL applies."""
    echo.drain()
    response = await hass.client.send({"url": f"{echo.url}/api/implicit"})
    received = await echo.next_request()
    assert received.headers["x-profile"] == "profile-1"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert response["profile"] == "Echo"
    # Outside the base URL the profile does not apply.
    response = await hass.client.send({"url": f"{echo.url}/elsewhere"})
    received = await echo.next_request()
    assert "x-profile" not in received.headers
    assert "authorization" not in received.headers
    assert response["profile"] is None


async def test_options_flow_changes_headers_without_restart(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """New headers from the options flow apply to the next call; the token is kept."""
    step = await hass.client.post(
        "/api/config/config_entries/options/flow", {"handler": state["entry_id"]}
    )
    assert step["type"] == "form"
    assert step["step_id"] == "init"
    suggested = {
        field["name"]: field.get("description", {}).get("suggested_value")
        for field in step["data_schema"]
    }
    assert suggested["headers"] == [{"name": "X-Profile", "value": "profile-1"}]
    assert [field["name"] for field in step["data_schema"]] == [
        "headers",
        "auth_type",
        "connection",
        "tls",
        "proxy",
    ]
    step = await flow_step(
        hass.client,
        step["flow_id"],
        {
            "headers": [
                {"name": "X-Profile", "value": "profile-2"},
                {"name": "X-Added", "value": "yes"},
            ],
            "auth_type": "bearer",
            "connection": {"verify_ssl": True},
        },
        kind="options",
    )
    assert step["type"] == "form"
    assert step["step_id"] == "credentials"
    assert [field["name"] for field in step["data_schema"]] == [
        "token",
        "test_request",
    ]
    # The stored token never goes back to the browser.
    assert "suggested_value" not in step["data_schema"][0].get("description", {})
    step = await flow_step(
        hass.client, step["flow_id"], {"test_request": False}, kind="options"
    )
    assert step["type"] == "create_entry"
    entries = await hass.client.entries()
    assert [item["state"] for item in entries] == ["loaded"]

    echo.drain()
    response = await hass.client.send(
        {"config_entry_id": state["entry_id"], "url": "after/options"}
    )
    received = await echo.next_request()
    assert received.headers["x-profile"] == "profile-2"
    assert received.headers["x-added"] == "yes"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert response["status"] == 200


async def test_remove_profile(
    hass: HassInstance, echo: EchoServer, state: dict[str, Any]
) -> None:
    """Deleting the entry unloads it; the action stays and works without profiles.

    The action is registered in async_setup, not per entry, so it remains until
    Home Assistant restarts. Without a profile, absolute URLs still work; the
    removed entry's id is refused.
    """
    result = await hass.client.delete(
        f"/api/config/config_entries/entry/{state['entry_id']}"
    )
    assert result == {"require_restart": False}
    assert await hass.client.entries() == []
    services = await hass.client.get("/api/services")
    assert "send" in {item["domain"]: item["services"] for item in services}[DOMAIN]

    echo.drain()
    response = await hass.client.send({"url": f"{echo.url}/api/after/removal"})
    received = await echo.next_request()
    assert response["status"] == 200
    assert response["profile"] is None
    assert "x-profile" not in received.headers
    assert "authorization" not in received.headers

    with pytest.raises(HassApiError) as err:
        await hass.client.send(
            {"config_entry_id": state["entry_id"], "url": "after/removal"}
        )
    assert err.value.status == 400
    assert echo.drain() == []


async def test_no_errors_logged_by_the_integration(hass: HassInstance) -> None:
    """Nothing above made the integration log an error or a traceback."""
    assert hass.integration_errors() == []
