"""Drive a real Home Assistant process over its REST and websocket APIs.

Shared by the end-to-end tests in tests/e2e and by scripts/develop, which runs
``python -m tests.e2e.harness prepare|provision``:

- ``prepare`` lays out a config directory: the custom_components symlink, the HTTP
  port and bind address (in ``.storage/http``; an ``http:`` block in YAML would be
  staged as a pending config that Home Assistant reverts, with a restart, when
  nobody confirms it within five minutes), finished onboarding and a login user;
- ``provision`` waits for Home Assistant, logs in and creates the demo's config
  entries through the real config-flow REST API (the "Demo" profile and its saved
  request, the "Demo files" profile and its polled saved request, a File
  notifier), then prints how to use the demo.

Every wait here is bounded; processes started here are stopped by their owner.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
import contextlib
import ctypes
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self

import aiohttp
import yaml

DOMAIN = "scene_http_request"
REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOM_COMPONENTS = REPO_ROOT / "custom_components"
DEV_CONFIG = REPO_ROOT / "config"
USERNAME = "dev"
PASSWORD = "dev"

START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
AUTH_SCRIPT_TIMEOUT = 120.0

AUTH_STORE = "auth_provider.homeassistant"
ONBOARDING_DONE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}

DEMO_PROFILE = "Demo"
DEMO_WEBHOOK_ID = "left_home"
DEMO_HEADER = {"name": "X-Demo", "value": "scene_http_request"}
DEMO_SECRET = "demo_profile_id"
DEMO_SECRET_PLACEHOLDER = "created-by-scripts-develop"
DEMO_CSV = "www/departures.csv"
DEMO_DASHBOARD = "demo-left-home"
DEMO_DASHBOARD_TITLE = "Left home demo"
# The saved request scripts/develop creates under the Demo profile, and its entities.
DEMO_REQUEST = {
    "name": "Left home",
    "method": "POST",
    "url": DEMO_WEBHOOK_ID,
    "body_type": "json",
    # tojson quotes and escapes each value: any `who` keeps the body valid JSON.
    "body": (
        "{\"value1\": {{ who | default('Alice') | tojson }}, "
        '"value2": {{ now().isoformat() | tojson }}}'
    ),
    "advanced": {"fail_on_http_error": True},
    "try_it": False,
}
# Its own device is named after it; the button takes the device's name.
DEMO_BUTTON = "button.left_home"
DEMO_SENSOR = "sensor.left_home_last_result"
# A saved request must stay under its profile's base URL: the polled one reads the
# departures CSV that Home Assistant serves under /local/, through a second profile.
DEMO_FILES_PROFILE = "Demo files"
DEMO_POLL_SECONDS = 10
DEMO_POLLED_REQUEST = {
    "name": "Departures CSV",
    "method": "GET",
    "url": "departures.csv",
    "body_type": "none",
    "advanced": {"fail_on_http_error": True},
    "sensor": {
        # One line per departure ends with ",left_home" (the header lines don't).
        "value_template": "{{ value.count(',left_home') }}",
        "state_class": "measurement",
        "scan_interval": DEMO_POLL_SECONDS,
    },
    "try_it": False,
}
DEMO_VALUE_SENSOR = "sensor.departures_csv_value"


def demo_dashboard_config(base_url: str) -> dict[str, Any]:
    """Return the demo dashboard: run the script, see the departures arrive."""
    return {
        "title": DEMO_DASHBOARD_TITLE,
        "views": [
            {
                "title": "Left home",
                "path": "left-home",
                "cards": [
                    {
                        "type": "entities",
                        "title": "Scene HTTP Request demo",
                        "entities": [
                            {
                                "entity": "script.left_home",
                                "name": "Left home (POST left_home, Demo profile)",
                            },
                            {
                                "entity": DEMO_BUTTON,
                                "name": "Left home (saved request, Demo profile)",
                            },
                            {"entity": DEMO_SENSOR, "name": "Its last result"},
                            "counter.departures",
                            "input_text.last_departure",
                            {
                                "entity": DEMO_VALUE_SENSOR,
                                "name": "Departures in the CSV (polled)",
                            },
                        ],
                    },
                    {
                        "type": "logbook",
                        "title": "Departures (webhook left_home)",
                        # The logbook's websocket API leaves counters out.
                        "target": {"entity_id": ["automation.record_a_departure"]},
                        "hours_to_show": 24,
                    },
                    {
                        "type": "markdown",
                        "title": "How it works",
                        "content": (
                            "**Run** calls `script.left_home`, which performs "
                            "`scene_http_request.send` (POST `left_home` with a JSON "
                            "body) through the **Demo** profile (base URL "
                            f"`{base_url}/api/webhook/`, header `X-Demo`). The "
                            "webhook automation *Record a departure* stands in for "
                            "IFTTT: it writes the logbook entry, counts the "
                            "departure and appends a line to "
                            "[departures.csv](/local/departures.csv).\n\n"
                            "**Press** sends the *Left home* saved request of the "
                            "same profile, with no variables (`who` defaults to "
                            "Alice); its sensor shows the last HTTP status. From an "
                            "automation: `scene_http_request.send` with "
                            "`request: left_home` and `variables: {who: Bob}`.\n\n"
                            "**Departures in the CSV** is the value sensor of the "
                            "*Departures CSV* saved request (profile **Demo files**, "
                            f"base URL `{base_url}/local/`): it GETs "
                            "`departures.csv` every "
                            f"{DEMO_POLL_SECONDS} s and counts its departures."
                        ),
                    },
                ],
            }
        ],
    }


class HarnessError(RuntimeError):
    """Home Assistant did not do what the harness waited for."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hass_command(config_dir: Path, *args: str) -> list[str]:
    """Return the command line that runs Home Assistant from this interpreter."""
    return [sys.executable, "-m", "homeassistant", "-c", str(config_dir), *args]


# --- config directory -------------------------------------------------------------


def link_custom_components(config_dir: Path) -> None:
    """Point config_dir/custom_components at the repository's custom_components."""
    link = config_dir / "custom_components"
    target = os.path.relpath(CUSTOM_COMPONENTS, config_dir.resolve())
    if link.is_symlink():
        if str(link.readlink()) == target:
            return
        link.unlink()
    elif link.exists():
        msg = f"{link} exists and is not a symlink; move it away"
        raise HarnessError(msg)
    link.symlink_to(target, target_is_directory=True)


def write_http_store(config_dir: Path, *, host: str, port: int) -> None:
    """Store the HTTP server's bind address and port (no ``http:`` YAML needed).

    Written as a version-1 payload: Home Assistant migrates it through its own
    schema on start, filling in the defaults, and marks it as the stable config.
    """
    path = config_dir / ".storage" / "http"
    if path.exists():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            stored = json.loads(path.read_text(encoding="utf-8"))["data"]
            stable = stored.get("stable", stored)
            if (
                stable.get("server_host") == [host]
                and stable.get("server_port") == port
                and not stored.get("pending")
            ):
                return
    payload = {
        "version": 1,
        "key": "http",
        "data": {"server_host": [host], "server_port": port},
    }
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")


def mark_onboarding_done(config_dir: Path) -> None:
    """Skip onboarding (its core_config step would start network-bound flows)."""
    path = config_dir / ".storage" / "onboarding"
    if not path.exists():
        path.write_text(json.dumps(ONBOARDING_DONE, indent=2), encoding="utf-8")


def has_user(config_dir: Path, username: str) -> bool:
    """Return whether the Home Assistant auth provider knows username."""
    path = config_dir / ".storage" / AUTH_STORE
    try:
        users = json.loads(path.read_text(encoding="utf-8"))["data"]["users"]
    except FileNotFoundError, ValueError, KeyError:
        return False
    return any(user.get("username") == username for user in users)


def add_user(config_dir: Path, username: str, password: str) -> None:
    """Create a login with Home Assistant's own ``hass --script auth``."""
    if has_user(config_dir, username):
        return
    subprocess.run(  # noqa: S603 - a fixed command line, this interpreter
        [
            sys.executable,
            "-m",
            "homeassistant",
            "--script",
            "auth",
            "-c",
            str(config_dir),
            "add",
            username,
            password,
        ],
        check=True,
        capture_output=True,
        timeout=AUTH_SCRIPT_TIMEOUT,
    )
    if not has_user(config_dir, username):
        msg = f"hass --script auth did not create {username!r}"
        raise HarnessError(msg)


def prepare_config_dir(
    config_dir: Path,
    *,
    port: int,
    host: str = "127.0.0.1",
    username: str = USERNAME,
    password: str = PASSWORD,
    auth_store: Path | None = None,
) -> None:
    """Lay out config_dir so that `hass -c config_dir --skip-pip` starts ready to use.

    auth_store: a ready ``.storage/auth_provider.homeassistant`` to copy instead of
    running the (slow) auth script again.
    """
    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)
    (config_dir / "www").mkdir(exist_ok=True)
    link_custom_components(config_dir)
    write_http_store(config_dir, host=host, port=port)
    mark_onboarding_done(config_dir)
    if auth_store is not None and not (config_dir / ".storage" / AUTH_STORE).exists():
        shutil.copy2(auth_store, config_dir / ".storage" / AUTH_STORE)
    add_user(config_dir, username, password)


def stored_profile(
    entry_id: str,
    title: str,
    data: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """Return a profile as ``.storage/core.config_entries`` holds it."""
    stamp = "2026-01-01T00:00:00+00:00"
    return {
        "created_at": stamp,
        "data": dict(data),
        "disabled_by": None,
        "discovery_keys": {},
        "domain": DOMAIN,
        "entry_id": entry_id,
        "minor_version": 1,
        "modified_at": stamp,
        "options": dict(options),
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": None,
        "version": 1,
    }


def config_entries_store(entries: Sequence[Mapping[str, Any]]) -> str:
    """Return a ``.storage/core.config_entries`` file holding entries.

    Written before Home Assistant starts, for states that the config flow can't
    reach in a test (a client certificate that expires soon); Home Assistant
    migrates a newer format and the integration's entry versions on start.
    """
    payload = {
        "version": 1,
        "minor_version": 5,  # the format of HA 2026.3 to 2026.11
        "key": "core.config_entries",
        "data": {"entries": [dict(entry) for entry in entries]},
    }
    return json.dumps(payload, indent=2)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the child when the process that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class HassProcess:
    """A `hass` child process with its output in config_dir/hass.out."""

    def __init__(self, config_dir: Path, *, port: int, host: str = "127.0.0.1") -> None:
        """Describe the process; start() starts it."""
        self.config_dir = config_dir
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self.log_path = config_dir / "hass.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        """Start `hass --skip-pip` (call from the main thread: see _die_with_parent)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            env.pop(key, None)
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(  # noqa: S603 - a fixed command line
                hass_command(self.config_dir, "--skip-pip", "--log-no-color"),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.config_dir,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - one prctl call
            )

    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop with SIGTERM, then SIGKILL after timeout; return the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the process output, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(
        self, client: HassClient, within: float = START_TIMEOUT
    ) -> float:
        """Wait until start-up is complete and client is logged in; return seconds."""
        deadline = time.monotonic() + within
        await client.wait_until_answering(deadline, alive=self.running)
        await client.login()
        await client.wait_until_running(deadline, alive=self.running)
        return time.monotonic() - self.started_at


# --- REST and websocket -----------------------------------------------------------


class HassApiError(HarnessError):
    """An HTTP answer with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        """Keep the answer for assertions."""
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status = status
        self.body = body


class HassClient:
    """Talk to Home Assistant the way the frontend does, with a bearer token."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession,
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
    ) -> None:
        """Use session for every request."""
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.session = session
        self.username = username
        self.password = password
        self.access_token: str | None = None
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    async def wait_until_answering(self, deadline: float, alive: Any = None) -> None:
        """Poll until the HTTP server answers (/auth/providers needs no token)."""
        while True:
            if alive is not None and not alive():
                msg = "Home Assistant exited during start-up"
                raise HarnessError(msg)
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(
                    f"{self.base_url}/auth/providers",
                    timeout=aiohttp.ClientTimeout(total=5),
                ):
                    return
            if time.monotonic() > deadline:
                msg = f"no HTTP answer from {self.base_url}"
                raise HarnessError(msg)
            await asyncio.sleep(0.5)

    async def login(self) -> str:
        """Log in through the login flow (as the login page does); return the token."""
        flow = await self._post_json(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.client_id}?auth_callback=1",
            },
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": self.client_id,
                "username": self.username,
                "password": self.password,
            },
        )
        if result.get("type") != "create_entry":
            msg = f"login failed: {result}"
            raise HarnessError(msg)
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": self.client_id,
            },
            timeout=self._timeout,
        ) as resp:
            tokens = await resp.json()
            if resp.status != 200 or "access_token" not in tokens:
                raise HassApiError("POST", "/auth/token", resp.status, tokens)
        self.access_token = str(tokens["access_token"])
        return self.access_token

    async def wait_until_running(self, deadline: float, alive: Any = None) -> None:
        """Poll GET /api/config until Home Assistant reports RUNNING."""
        while True:
            if alive is not None and not alive():
                msg = "Home Assistant exited during start-up"
                raise HarnessError(msg)
            with contextlib.suppress(HarnessError, aiohttp.ClientError, TimeoutError):
                if (await self.get("/api/config")).get("state") == "RUNNING":
                    return
            if time.monotonic() > deadline:
                msg = "Home Assistant did not finish starting"
                raise HarnessError(msg)
            await asyncio.sleep(0.5)

    async def _post_json(self, path: str, payload: Any) -> Any:
        async with self.session.post(
            f"{self.base_url}{path}", json=payload, timeout=self._timeout
        ) as resp:
            body = await resp.json(content_type=None)
            if resp.status != 200:
                raise HassApiError("POST", path, resp.status, body)
            return body

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header."""
        if self.access_token is None:
            msg = "not logged in"
            raise HarnessError(msg)
        return {"Authorization": f"Bearer {self.access_token}"}

    async def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        expect: int | Sequence[int] = 200,
    ) -> Any:
        """Send an authenticated request and return the decoded body."""
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=payload,
            headers=self.headers,
            timeout=self._timeout,
        ) as resp:
            text = await resp.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            expected = (expect,) if isinstance(expect, int) else tuple(expect)
            if resp.status not in expected:
                raise HassApiError(method, path, resp.status, body)
            return body

    async def get(self, path: str, **kwargs: Any) -> Any:
        """GET path."""
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """POST payload as JSON to path."""
        return await self.call(
            "POST", path, {} if payload is None else payload, **kwargs
        )

    async def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE path."""
        return await self.call("DELETE", path, **kwargs)

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """Return the config entries of domain."""
        return list(await self.get(f"/api/config/config_entries/entry?domain={domain}"))

    async def send(
        self, data: Mapping[str, Any], *, expect: int | Sequence[int] = 200
    ) -> Any:
        """Call scene_http_request.send over REST and return its service_response."""
        body = await self.post(
            f"/api/services/{DOMAIN}/send?return_response", dict(data), expect=expect
        )
        if isinstance(body, dict) and "service_response" in body:
            return body["service_response"]
        return body

    def websocket(self) -> HassWebSocket:
        """Return a websocket connection (use with ``async with``)."""
        return HassWebSocket(self)


class HassWebSocket:
    """A websocket API connection, authenticated with the client's token."""

    def __init__(self, client: HassClient) -> None:
        """Connect on __aenter__."""
        self.client = client
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Connect and authenticate."""
        self.ws = await self.client.session.ws_connect(
            f"{self.client.base_url}/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
        )
        hello = await self.ws.receive_json(timeout=REQUEST_TIMEOUT)
        if hello.get("type") != "auth_required":
            raise HarnessError(str(hello))
        await self.ws.send_json(
            {"type": "auth", "access_token": self.client.access_token}
        )
        answer = await self.ws.receive_json(timeout=REQUEST_TIMEOUT)
        if answer.get("type") != "auth_ok":
            raise HarnessError(str(answer))
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the connection and stop reading."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                if item.get("type") == "event":
                    await self.events.put(item["event"])
                elif (future := self._results.pop(item.get("id"), None)) is not None:
                    future.set_result(item)

    async def command(self, msg_type: str, **payload: Any) -> Any:
        """Send one command and return its result, or raise on an error."""
        assert self.ws is not None
        msg_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[msg_id] = future
        await self.ws.send_json({"id": msg_id, "type": msg_type, **payload})
        answer = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        if not answer.get("success"):
            msg = f"{msg_type}: {answer.get('error')}"
            raise HarnessError(msg)
        return answer.get("result")

    async def next_event(self, within: float = REQUEST_TIMEOUT) -> dict[str, Any]:
        """Return the next event of a subscription (bounded wait)."""
        async with asyncio.timeout(within):
            return await self.events.get()


# --- config flows -----------------------------------------------------------------


def schema_names(step: Mapping[str, Any]) -> set[str]:
    """Return the field names of a form step."""
    return {field["name"] for field in step.get("data_schema") or ()}


def only_fields(step: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the values the form step asks for (the form rejects extra keys)."""
    names = schema_names(step)
    return {key: value for key, value in values.items() if key in names}


def form_input(step: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Shape flat values like a form step: its fields, sections' fields nested."""
    data: dict[str, Any] = {}
    for field in step.get("data_schema") or ():
        name = field["name"]
        if field.get("type") == "expandable":
            inner = {
                key: values[key]
                for key in (item["name"] for item in field["schema"])
                if key in values
            }
            if inner:
                data[name] = inner
        elif name in values:
            data[name] = values[name]
    return data


async def complete_settings(
    client: HassClient,
    step: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    kind: str = "config",
) -> dict[str, Any]:
    """Submit flat profile settings through the settings and credentials steps.

    Returns the first answer that is not a clean form of those steps (the entry
    created, or a form with errors).
    """
    result = dict(step)
    while (
        result.get("type") == "form"
        and result.get("step_id") in ("settings", "init", "credentials")
        and not result.get("errors")
    ):
        result = await flow_step(
            client, result["flow_id"], form_input(result, values), kind=kind
        )
    return result


async def start_flow(client: HassClient, handler: str) -> dict[str, Any]:
    """Start a config flow the way the "Add integration" dialog does."""
    return dict(
        await client.post(
            "/api/config/config_entries/flow",
            {"handler": handler, "show_advanced_options": False},
        )
    )


async def flow_step(
    client: HassClient,
    flow_id: str,
    user_input: Mapping[str, Any],
    *,
    kind: str = "config",
    expect: int | Sequence[int] = 200,
) -> dict[str, Any]:
    """Submit one step of a config (kind="config") or options (kind="options") flow."""
    path = (
        f"/api/config/config_entries/{'flow' if kind == 'config' else 'options/flow'}"
    )
    return dict(await client.post(f"{path}/{flow_id}", dict(user_input), expect=expect))


async def create_profile(
    client: HassClient,
    *,
    name: str,
    base_url: str,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """Create a profile through the user, settings and credentials steps.

    settings is flat (no sections); returns the create_entry answer.
    """
    step = await start_flow(client, DOMAIN)
    if step.get("type") != "form":
        msg = f"unexpected first step: {step}"
        raise HarnessError(msg)
    step = await flow_step(
        client, step["flow_id"], only_fields(step, {"name": name, "base_url": base_url})
    )
    step = await complete_settings(client, step, settings)
    if step.get("type") != "create_entry":
        msg = f"profile {name!r} was not created: {step}"
        raise HarnessError(msg)
    return step


# --- the scripts/develop demo -----------------------------------------------------


@dataclass
class Demo:
    """What provision_demo set up."""

    profile_entry_id: str
    profile_created: bool
    notifier_entry_id: str | None
    csv_path: Path
    base_url: str
    saved_request_created: bool = False
    files_profile_entry_id: str = ""
    polled_request_created: bool = False


def update_secret(secrets_path: Path, key: str, value: str) -> bool:
    """Set key in secrets.yaml, keeping the other keys; return whether it changed."""
    secrets: dict[str, Any] = {}
    if secrets_path.exists():
        secrets = yaml.safe_load(secrets_path.read_text(encoding="utf-8")) or {}
    if secrets.get(key) == value:
        return False
    secrets[key] = value
    secrets_path.write_text(
        "# Written by scripts/develop: the demo profile's entry id for scripts.yaml.\n"
        + yaml.safe_dump(secrets, sort_keys=True),
        encoding="utf-8",
    )
    return True


def prepare_demo_secrets(config_dir: Path) -> None:
    """Give `!secret demo_profile_id` a value before the profile exists."""
    secrets_path = config_dir / "secrets.yaml"
    secrets: dict[str, Any] = {}
    if secrets_path.exists():
        secrets = yaml.safe_load(secrets_path.read_text(encoding="utf-8")) or {}
    if DEMO_SECRET not in secrets:
        update_secret(secrets_path, DEMO_SECRET, DEMO_SECRET_PLACEHOLDER)


async def ensure_profile(
    client: HassClient, name: str, base_url: str, settings: Mapping[str, Any]
) -> tuple[str, bool]:
    """Return the entry id of the profile titled name, creating it if needed."""
    for entry in await client.entries():
        if entry.get("title") == name:
            return str(entry["entry_id"]), False
    created = await create_profile(
        client, name=name, base_url=base_url, settings=settings
    )
    return str(created["result"]["entry_id"]), True


async def ensure_demo_profile(client: HassClient) -> tuple[str, bool]:
    """Return the "Demo" profile's entry id, creating it through the config flow."""
    return await ensure_profile(
        client,
        DEMO_PROFILE,
        f"{client.base_url}/api/webhook/",
        {
            "headers": [DEMO_HEADER],
            "auth_type": "none",
            "timeout": 10,
            "verify_ssl": True,
            "test_request": False,
        },
    )


async def ensure_demo_files_profile(client: HassClient) -> tuple[str, bool]:
    """Return the "Demo files" profile (base URL /local/), creating it if needed."""
    return await ensure_profile(
        client,
        DEMO_FILES_PROFILE,
        f"{client.base_url}/local/",
        {"auth_type": "none", "timeout": 10, "verify_ssl": True, "test_request": False},
    )


async def ensure_saved_request(
    client: HassClient, entry_id: str, request: Mapping[str, Any], entity_id: str
) -> bool:
    """Create a saved request once, wait for entity_id; return if it was created.

    request is the form's input, as the subentry flow REST API takes it.
    """
    async with client.websocket() as ws:
        subentries = await ws.command(
            "config_entries/subentries/list", entry_id=entry_id
        )
    if any(item.get("title") == request["name"] for item in subentries):
        return False
    path = "/api/config/config_entries/subentries/flow"
    step = await client.post(path, {"handler": [entry_id, "request"]})
    step = await client.post(f"{path}/{step['flow_id']}", dict(request))
    if step.get("type") != "create_entry":
        msg = f"saved request not created: {step}"
        raise HarnessError(msg)
    # The profile reloads to add the saved request's entities.
    for _ in range(100):
        found = await client.get(f"/api/states/{entity_id}", expect=(200, 404))
        if found.get("entity_id") == entity_id:
            break
        await asyncio.sleep(0.2)
    return True


async def ensure_demo_saved_request(client: HassClient, entry_id: str) -> bool:
    """Create the "Left home" saved request once; return whether it was created."""
    return await ensure_saved_request(client, entry_id, DEMO_REQUEST, DEMO_BUTTON)


async def ensure_file_notifier(client: HassClient, csv_path: Path) -> str | None:
    """Return the File notifier entry that writes csv_path, creating it if needed."""
    for entry in await client.entries("file"):
        if str(csv_path) in str(entry.get("title")):
            return str(entry["entry_id"])
    step = await start_flow(client, "file")
    if step.get("type") == "menu":
        step = await flow_step(client, step["flow_id"], {"next_step_id": "notify"})
    step = await flow_step(
        client,
        step["flow_id"],
        only_fields(step, {"file_path": str(csv_path), "timestamp": False}),
    )
    if step.get("type") != "create_entry":
        return None
    return str(step["result"]["entry_id"])


async def ensure_demo_dashboard(client: HassClient) -> bool:
    """Create the demo dashboard (lovelace websocket API) once; return if created."""
    async with client.websocket() as ws:
        dashboards = await ws.command("lovelace/dashboards/list")
        if any(item.get("url_path") == DEMO_DASHBOARD for item in dashboards):
            return False
        await ws.command(
            "lovelace/dashboards/create",
            url_path=DEMO_DASHBOARD,
            title=DEMO_DASHBOARD_TITLE,
            icon="mdi:home-export-outline",
            show_in_sidebar=True,
            require_admin=False,
        )
        await ws.command(
            "lovelace/config/save",
            url_path=DEMO_DASHBOARD,
            config=demo_dashboard_config(client.base_url),
        )
    return True


async def provision_demo(client: HassClient, config_dir: Path) -> Demo:
    """Create the demo profiles, saved requests and File notifier once.

    Reloads scripts when the Demo profile's entry id changed.
    """
    csv_path = (config_dir / DEMO_CSV).resolve()
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    # The polled saved request reads it from the start (404 would be unavailable).
    csv_path.touch()
    profile_id, created = await ensure_demo_profile(client)
    request_created = await ensure_demo_saved_request(client, profile_id)
    files_id, _ = await ensure_demo_files_profile(client)
    polled_created = await ensure_saved_request(
        client, files_id, DEMO_POLLED_REQUEST, DEMO_VALUE_SENSOR
    )
    notifier_id = await ensure_file_notifier(client, csv_path)
    if update_secret(config_dir / "secrets.yaml", DEMO_SECRET, profile_id):
        await client.post("/api/services/script/reload")
    await ensure_demo_dashboard(client)
    return Demo(
        profile_entry_id=profile_id,
        profile_created=created,
        notifier_entry_id=notifier_id,
        csv_path=csv_path,
        base_url=client.base_url,
        saved_request_created=request_created,
        files_profile_entry_id=files_id,
        polled_request_created=polled_created,
    )


def demo_banner(demo: Demo, seconds: float | None) -> str:
    """Return what scripts/develop prints once the demo is ready."""
    url = demo.base_url
    took = f" in {seconds:.0f} s" if seconds is not None else ""
    return "\n".join(
        [
            "",
            "=" * 78,
            f" Scene HTTP Request demo ready{took}: {url}",
            f" Log in as {USERNAME} / {PASSWORD}",
            f' Profile "{DEMO_PROFILE}" -> {url}/api/webhook/ (header X-Demo)'
            + (" [created now]" if demo.profile_created else ""),
            f' Round trip: sidebar "{DEMO_DASHBOARD_TITLE}" ({url}/{DEMO_DASHBOARD})',
            '   > "Left home" > Run: the departure shows up on the same page.',
            "   script.left_home -> scene_http_request.send POST left_home -> webhook",
            '   automation "Record a departure" -> logbook, counter, CSV file',
            "   With the HTTP response: Settings > Tools > Actions > pick",
            '   "Left home" (script.left_home) > Perform action.',
            f' Saved request "Left home" of the profile: {DEMO_BUTTON} (Press on the'
            f" dashboard), {DEMO_SENSOR}"
            + (" [created now]" if demo.saved_request_created else ""),
            f' Profile "{DEMO_FILES_PROFILE}" -> {url}/local/: saved request'
            f' "{DEMO_POLLED_REQUEST["name"]}" polls departures.csv every'
            f" {DEMO_POLL_SECONDS} s, {DEMO_VALUE_SENSOR} counts its departures"
            + (" [created now]" if demo.polled_request_created else ""),
            f" CSV: {url}/local/departures.csv",
            "=" * 78,
            "",
        ]
    )


# --- command line (scripts/develop) -----------------------------------------------


def _cmd_prepare(args: argparse.Namespace) -> int:
    config_dir = Path(args.config)
    prepare_config_dir(config_dir, port=args.port, host=args.host)
    prepare_demo_secrets(config_dir)
    return 0


async def _provision(args: argparse.Namespace) -> int:
    config_dir = Path(args.config)
    started = time.monotonic()
    deadline = started + args.timeout
    parent = os.getppid()

    def alive() -> bool:
        return os.getppid() == parent and (
            args.watch_pid is None or Path(f"/proc/{args.watch_pid}").exists()
        )

    async with aiohttp.ClientSession() as session:
        client = HassClient(args.url, session)
        try:
            await client.wait_until_answering(deadline, alive=alive)
            await client.login()
            await client.wait_until_running(deadline, alive=alive)
            demo = await provision_demo(client, config_dir)
        except HarnessError as err:
            sys.stderr.write(f"develop: demo not provisioned: {err}\n")
            return 1
    if args.since is not None:
        seconds = time.time() - args.since
    else:
        seconds = time.monotonic() - started
    sys.stderr.write(demo_banner(demo, seconds) + "\n")
    sys.stderr.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``prepare`` or ``provision`` step of scripts/develop."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.harness")
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare", help="lay out a config directory")
    prepare.add_argument("--config", default=str(DEV_CONFIG))
    prepare.add_argument("--host", default="127.0.0.1")
    prepare.add_argument("--port", type=int, default=8123)
    provision = sub.add_parser("provision", help="create the demo's config entries")
    provision.add_argument("--config", default=str(DEV_CONFIG))
    provision.add_argument("--url", default="http://127.0.0.1:8123")
    provision.add_argument("--timeout", type=float, default=300.0)
    provision.add_argument("--watch-pid", type=int)
    provision.add_argument("--since", type=float, help="epoch seconds of the start")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return _cmd_prepare(args)
    return asyncio.run(_provision(args))


if __name__ == "__main__":
    sys.exit(main())
