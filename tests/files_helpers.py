"""What the file tests share: allowed directories, calls and an fd counter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.scene_http_request.const import DOMAIN

from .helpers import send

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Place:
    """The directories of a test: config, an allowed one and a forbidden one."""

    config: Path
    allowed: Path
    outside: Path


@pytest.fixture
async def place(hass: HomeAssistant, tmp_path: Path) -> Place:
    """Set up the integration with a config dir and an allow list in tmp_path."""
    config = tmp_path / "config"
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    for directory in (config / "www", allowed, outside):
        directory.mkdir(parents=True)
    hass.config.config_dir = str(config)
    hass.config.allowlist_external_dirs = {str(config / "www"), str(allowed)}
    assert await async_setup_component(hass, DOMAIN, {})
    return Place(config, allowed, outside)


async def send_error(
    hass: HomeAssistant,
    error: type[HomeAssistantError] = HomeAssistantError,
    **data: Any,
) -> HomeAssistantError:
    """Call the action, expect a translated error of type error and return it."""
    with pytest.raises(error) as info:
        await send(hass, **data)
    assert info.value.translation_domain == DOMAIN
    return info.value


def open_fds_on(path: Path) -> int:
    """Return how many file descriptors of this process point at path."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if fd.readlink() == path:
                count += 1
        except OSError:
            continue
    return count
