"""Fixtures for the end-to-end tests: a real `hass` process and a local HTTP server.

These tests run in their own pytest invocation, without
pytest-homeassistant-custom-component (its plugin blocks sockets and fails tests on
threads or tasks that outlive them, and the tests here need real sockets and
long-lived processes):

    .venv/bin/python -m pytest -p no:homeassistant --confcutdir=tests/e2e tests/e2e

scripts/test does that on the newest leg, after scripts/setup-e2e. When the plugin
is loaded (the main run), the tests here are deselected. Without the packages
from requirements/e2e.txt they are skipped, or fail when SCENE_HTTP_REQUEST_E2E=1
(scripts/test sets it) says they must run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest
import pytest_asyncio

from .harness import (
    AUTH_STORE,
    PASSWORD,
    USERNAME,
    HassClient,
    HassProcess,
    add_user,
    free_port,
    prepare_config_dir,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

E2E_DIR = Path(__file__).parent
REQUIRED_ENV = "SCENE_HTTP_REQUEST_E2E"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHACC_PLUGINS = ("homeassistant", "pytest_homeassistant_custom_component")

# A minimal configuration: no default_config, nothing that needs extra packages.
BASE_CONFIGURATION = """\
homeassistant:
  name: e2e
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  unit_system: metric
  time_zone: Europe/Berlin
  country: DE
frontend:
config:
api:
automation: !include automations.yaml
script:
logger:
  default: warning
  logs:
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
    custom_components.scene_http_request: debug
"""


def _phacc_loaded(config: pytest.Config) -> bool:
    return any(config.pluginmanager.has_plugin(name) for name in PHACC_PLUGINS)


def _in_e2e(item: pytest.Item) -> bool:
    return Path(str(item.path)).is_relative_to(E2E_DIR)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Leave the e2e tests to their own invocation when phacc is loaded."""
    if not _phacc_loaded(config):
        return
    deselected = [item for item in items if _in_e2e(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not _in_e2e(item)]


def missing_e2e_requirements(*, browser: bool) -> list[str]:
    """Return what scripts/setup-e2e would install and is not there."""
    missing = [
        module
        for module in ("hass_frontend", "pymicro_vad", "file_read_backwards")
        if importlib.util.find_spec(module) is None
    ]
    if browser:
        if importlib.util.find_spec("playwright") is None:
            missing.append("playwright")
        if not CHROMIUM.exists():
            missing.append(str(CHROMIUM))
    return missing


def require_e2e(*, browser: bool) -> None:
    """Skip (or fail, when SCENE_HTTP_REQUEST_E2E=1) without the e2e packages."""
    if missing := missing_e2e_requirements(browser=browser):
        msg = f"run scripts/setup-e2e first; missing: {', '.join(missing)}"
        if os.environ.get(REQUIRED_ENV) == "1":
            pytest.fail(msg)
        pytest.skip(msg)


# --- a real Home Assistant --------------------------------------------------------


@dataclass
class HassInstance:
    """A running Home Assistant and a logged-in REST client."""

    process: HassProcess
    client: HassClient
    config_dir: Path
    startup_seconds: float
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """Return Home Assistant's URL."""
        return self.process.base_url

    def log_lines(self) -> list[str]:
        """Return home-assistant.log (the file Home Assistant writes)."""
        path = self.config_dir / "home-assistant.log"
        if not path.exists():
            return []
        return path.read_text(encoding="utf-8", errors="replace").splitlines()

    def setup_failures(self) -> list[str]:
        """Return what Home Assistant could not set up or import.

        `hass --skip-pip` installs nothing, so a package that scripts/setup-e2e left
        out (requirements/e2e.txt, requirements/e2e-next.txt) shows up here, e.g.
        "Setup failed for 'analytics': Unable to import component: No module named
        'aiohasupervisor'" on HA 2026.11 without aiohasupervisor.
        """
        return [
            line
            for line in self.log_lines()
            if "[homeassistant.setup] Setup failed for" in line
            or "No module named" in line
        ]

    def integration_errors(self) -> list[str]:
        """Return errors logged by this integration and tracebacks through its code.

        (Home Assistant's REST API logs a failed action call at ERROR level itself;
        those lines come from homeassistant.components.api and are expected.)
        """
        lines = self.log_lines()
        found = []
        for index, line in enumerate(lines):
            if " ERROR " in line and "[custom_components.scene_http_request" in line:
                found.append(line)
            elif line.startswith("Traceback"):
                block = []
                for follow in lines[index + 1 :]:
                    if not follow.startswith((" ", "Traceback")):
                        break
                    block.append(follow)
                if any("custom_components/scene_http_request" in f for f in block):
                    found.append("\n".join([line, *block]))
        return found


@pytest.fixture(scope="session")
def auth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Create the dev login once (hass --script auth takes a few seconds)."""
    require_e2e(browser=False)
    seed = tmp_path_factory.mktemp("auth-seed")
    add_user(seed, USERNAME, PASSWORD)
    return seed / ".storage" / AUTH_STORE


@pytest.fixture(scope="module")
def hass_config_files() -> dict[str, str]:
    """Return the files of the test configuration; modules may override this."""
    return {
        "configuration.yaml": BASE_CONFIGURATION,
        "automations.yaml": "[]\n",
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hass(
    tmp_path_factory: pytest.TempPathFactory,
    auth_store: Path,
    hass_config_files: dict[str, str],
) -> AsyncIterator[HassInstance]:
    """Start `hass --skip-pip` on a free loopback port; always stop it."""
    config_dir = tmp_path_factory.mktemp("hass-config")
    for name, content in hass_config_files.items():
        (config_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (config_dir / name).write_text(content, encoding="utf-8")
    port = free_port()
    prepare_config_dir(config_dir, port=port, auth_store=auth_store)
    process = HassProcess(config_dir, port=port)
    process.start()
    try:
        async with aiohttp.ClientSession() as session:
            client = HassClient(process.base_url, session)
            try:
                seconds = await process.wait_ready(client)
            except Exception as err:
                msg = f"{err}\n--- hass output ---\n{process.log_tail()}"
                raise RuntimeError(msg) from err
            yield HassInstance(process, client, config_dir, seconds)
    finally:
        rc = process.stop()
        if rc not in (0, None):
            print(f"hass exited with {rc}:\n{process.log_tail()}")  # noqa: T201


# --- the remote end: a local HTTP server that records what it receives -----------


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        import json  # noqa: PLC0415

        return json.loads(self.body)


class EchoServer:
    """aiohttp server on 127.0.0.1 that records requests and answers in JSON.

    GET|POST|... /status/<code> answers with that status; anything else with 200
    and a JSON echo of what was received.
    """

    def __init__(self) -> None:
        """Create the app; start() binds it."""
        self.received: asyncio.Queue[Received] = asyncio.Queue()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        headers = {key.lower(): value for key, value in request.headers.items()}
        await self.received.put(
            Received(request.method, request.path, query, headers, body)
        )
        status = 200
        parts = request.path.strip("/").split("/")
        if len(parts) >= 2 and parts[-2] == "status" and parts[-1].isdigit():
            status = int(parts[-1])
        return web.json_response(
            {"echo": {"method": request.method, "path": request.path}, "n": 42},
            status=status,
            headers={"X-Echo": "yes"},
        )

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def next_request(self, within: float = 20.0) -> Received:
        """Return the next request received (bounded wait)."""
        async with asyncio.timeout(within):
            return await self.received.get()

    def drain(self) -> list[Received]:
        """Return and forget everything received so far."""
        items = []
        while not self.received.empty():
            items.append(self.received.get_nowait())
        return items


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def echo() -> AsyncIterator[EchoServer]:
    """Run the recording server for the module."""
    server = EchoServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


# --- a browser: Debian's Chromium, headless -----------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Launch Debian's Chromium through Playwright (never `playwright install`)."""
    require_e2e(browser=True)
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Return the git-ignored artifacts/ directory of the repository."""
    path = E2E_DIR.parents[1] / "artifacts"
    path.mkdir(exist_ok=True)
    return path


def copy_tree_files(source: Path, names: list[str]) -> dict[str, str]:
    """Return name -> content for names in source (for hass_config_files)."""
    return {name: (source / name).read_text(encoding="utf-8") for name in names}
