"""Shared fixtures for Scene HTTP Request tests."""

from __future__ import annotations

import pytest

# Import at collection time so HA's loader finds our custom_components package.
import custom_components.scene_http_request  # noqa: F401

pytest_plugins = "pytest_homeassistant_custom_component"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let every test load custom integrations."""
    return
