"""The IFTTT blueprint variant that sends a saved request with variables."""

from __future__ import annotations

import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import script
from homeassistant.components.blueprint import BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest

from .helpers import AddProfile, request_data, subentry
from .server import RecordingServer

BLUEPRINT_PATH = "scene_http_request/ifttt_saved_request.yaml"
BLUEPRINT_FILE = Path(__file__).parent.parent / "blueprints" / "script" / BLUEPRINT_PATH
KEY = "s3cret-key"
# As the blueprint's description tells: each value written with tojson.
BODY = (
    '{"value1": {{ value1 | tojson }}, "value2": {{ value2 | tojson }}, '
    '"value3": {{ value3 | tojson }}}'
)
# Quotes, backslashes, a tab, line breaks and an attempt to add a key.
HOSTILE = 'Al "the" \\ice\tleft\nhome\r\n\', "admin": "1'


def test_blueprint_is_valid() -> None:
    """The variant passes HA's script blueprint schema and declares its inputs."""
    blueprint = Blueprint(
        load_yaml(BLUEPRINT_FILE),
        path=BLUEPRINT_PATH,
        expected_domain=script.DOMAIN,
        schema=BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    assert list(blueprint.inputs) == [
        "request",
        "profile",
        "value1",
        "value2",
        "value3",
    ]
    assert "default" not in blueprint.inputs["request"]
    assert blueprint.metadata["source_url"].endswith(BLUEPRINT_PATH)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give the test instance a config dir holding the blueprint."""
    target = Path(hass_tmp_config_dir) / "blueprints" / "script" / BLUEPRINT_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BLUEPRINT_FILE, target)
    return hass_tmp_config_dir


def test_description_shows_the_body() -> None:
    """The description gives the body the tests send: every value with tojson."""
    description = " ".join(
        load_yaml(BLUEPRINT_FILE)["blueprint"]["description"].split()
    )
    assert f"`{BODY}`" in description


async def _setup(
    hass: HomeAssistant,
    add_profile: AddProfile,
    server: RecordingServer,
    path: str,
    value1: str = "{{ 1 + 1 }}",
) -> None:
    await add_profile(
        "IFTTT",
        server.url("trigger/"),
        subentry(
            request_data(
                "Left home",
                f"{path}/with/key/{KEY}",
                method="POST",
                body_type="json",
                body=BODY,
            ),
            "sub",
        ),
    )
    blueprint_input: dict[str, Any] = {"request": "left_home", "value1": value1}
    assert await async_setup_component(
        hass,
        script.DOMAIN,
        {
            script.DOMAIN: {
                "left_home": {
                    "use_blueprint": {"path": BLUEPRINT_PATH, "input": blueprint_input}
                }
            }
        },
    )
    await hass.async_block_till_done()


async def test_script_sends_the_saved_request(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """A script from the variant sends the saved request with the values."""
    await _setup(hass, add_profile, server, "left_home")
    response: Any = await hass.services.async_call(
        script.DOMAIN, "left_home", blocking=True, return_response=True
    )
    assert server.last.path == f"/trigger/left_home/with/key/{KEY}"
    # A template input renders to its native type, which tojson keeps.
    assert json.loads(server.last.body) == {"value1": 2, "value2": "", "value3": ""}
    assert response["status"] == 200


async def test_script_sends_any_value_intact(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """Quotes, backslashes, tabs and newlines arrive as they are, adding no key."""
    await _setup(hass, add_profile, server, "left_home", HOSTILE)
    await hass.services.async_call(
        script.DOMAIN, "left_home", blocking=True, return_response=True
    )
    assert json.loads(server.last.body) == {
        "value1": HOSTILE,
        "value2": "",
        "value3": "",
    }


async def test_script_fails_on_http_error(
    hass: HomeAssistant, server: RecordingServer, add_profile: AddProfile
) -> None:
    """An HTTP error fails the script without showing the key."""

    @server.route(f"/trigger/bad/with/key/{KEY}")
    async def refused(request: Any) -> Any:
        from aiohttp import web  # noqa: PLC0415

        return web.Response(status=401)

    await _setup(hass, add_profile, server, "bad")
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            script.DOMAIN, "left_home", blocking=True, return_response=True
        )
    assert info.value.translation_key == "http_error"
    assert KEY not in str(info.value)
