"""Tests for the IFTTT Maker Webhook script blueprint shipped in blueprints/."""

from __future__ import annotations

import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import script
from homeassistant.components.blueprint import BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from yarl import URL

from custom_components.scene_http_request.const import DOMAIN

from .helpers import AddProfile

BLUEPRINT_PATH = "scene_http_request/ifttt_webhook.yaml"
BLUEPRINT_FILE = Path(__file__).parent.parent / "blueprints" / "script" / BLUEPRINT_PATH
IFTTT_URL = "https://maker.ifttt.com/trigger/left_home/with/key/s3cret-key"


def load_blueprint() -> Blueprint:
    """Load the blueprint with Home Assistant's own loader and schema."""
    return Blueprint(
        load_yaml(BLUEPRINT_FILE),
        path=BLUEPRINT_PATH,
        expected_domain=script.DOMAIN,
        schema=BLUEPRINT_SCHEMA,
    )


def test_blueprint_is_valid() -> None:
    """The blueprint passes HA's script blueprint schema and declares its inputs."""
    blueprint = load_blueprint()
    assert blueprint.validate() is None  # the running HA is new enough
    assert blueprint.domain == script.DOMAIN
    assert list(blueprint.inputs) == ["event", "key", "value1", "value2", "value3"]
    assert "default" not in blueprint.inputs["event"]
    assert "default" not in blueprint.inputs["key"]
    assert blueprint.inputs["key"]["selector"]["text"]["type"] == "password"
    for name in ("value1", "value2", "value3"):
        assert blueprint.inputs[name]["default"] == ""
        assert "text" in blueprint.inputs[name]["selector"]
    source = blueprint.metadata["source_url"]
    assert source.endswith("/blob/main/blueprints/script/" + BLUEPRINT_PATH)


def test_blueprint_substitutes_inputs() -> None:
    """The inputs end up in the URL variables and the JSON body."""
    inputs = BlueprintInputs(
        load_blueprint(),
        {
            "use_blueprint": {
                "path": BLUEPRINT_PATH,
                "input": {"event": "left_home", "key": "k", "value1": "Alice"},
            }
        },
    )
    inputs.validate()
    config = inputs.async_substitute()
    assert config["variables"] == {"event": "left_home", "key": "k"}
    step = config["sequence"][0]
    assert step["action"] == f"{DOMAIN}.send"
    assert step["data"] == {
        "method": "POST",
        "url": "https://maker.ifttt.com/trigger/{{ event }}/with/key/{{ key }}",
        "json": {"value1": "Alice", "value2": "", "value3": ""},
    }


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give the test instance a config dir holding our blueprint."""
    target = Path(hass_tmp_config_dir) / "blueprints" / "script" / BLUEPRINT_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BLUEPRINT_FILE, target)
    return hass_tmp_config_dir


async def _setup_script(
    hass: HomeAssistant, add_profile: AddProfile, value1: str
) -> None:
    await add_profile("Plain")
    assert await async_setup_component(
        hass,
        script.DOMAIN,
        {
            script.DOMAIN: {
                "left_home": {
                    "use_blueprint": {
                        "path": BLUEPRINT_PATH,
                        "input": {
                            "event": "left_home",
                            "key": "s3cret-key",
                            "value1": value1,
                            "value2": 42,
                        },
                    }
                }
            }
        },
    )
    await hass.async_block_till_done()


def _mock_ifttt(aioclient_mock: AiohttpClientMocker, status: int, reason: str) -> None:
    response = aioclient_mock.request(
        "post",
        IFTTT_URL,
        status=status,
        text="Congratulations! You've fired the left_home event",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    # The mocked response lacks the reason phrase that our client reads.
    response.reason = reason


async def test_blueprint_script_posts_to_ifttt(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, add_profile: AddProfile
) -> None:
    """A script made from the blueprint POSTs the values and returns the reply."""
    _mock_ifttt(aioclient_mock, 200, "OK")
    hass.states.async_set("person.alice", "not_home")
    await _setup_script(hass, add_profile, "{{ states('person.alice') }}")

    response: Any = await hass.services.async_call(
        script.DOMAIN, "left_home", blocking=True, return_response=True
    )

    assert aioclient_mock.call_count == 1
    method, url, body, headers = aioclient_mock.mock_calls[0]
    assert method == "POST"
    assert url == URL(IFTTT_URL)
    assert json.loads(body) == {"value1": "not_home", "value2": 42, "value3": ""}
    assert headers["Content-Type"] == "application/json"
    assert response["status"] == 200
    assert response["content"].startswith("Congratulations!")


async def test_blueprint_script_fails_on_ifttt_error(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, add_profile: AddProfile
) -> None:
    """An HTTP error from IFTTT fails the script without showing the key."""
    _mock_ifttt(aioclient_mock, 401, "Unauthorized")
    await _setup_script(hass, add_profile, "Alice")

    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            script.DOMAIN, "left_home", blocking=True, return_response=True
        )

    assert info.value.translation_key == "http_error"
    assert info.value.translation_placeholders == {
        "status": "401",
        "reason": "Unauthorized",
        "host": "maker.ifttt.com",
    }
    assert "s3cret-key" not in str(info.value)
