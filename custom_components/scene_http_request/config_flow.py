"""Config flow for Scene HTTP Request profiles."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import CONF_BASE_URL, CONF_NAME, DOMAIN


class SceneHttpRequestConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create a profile."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the profile's name and base URL."""
        if user_input is not None:
            return self.async_create_entry(
                title=user_input[CONF_NAME],
                data=user_input,
            )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {vol.Required(CONF_NAME): str, vol.Optional(CONF_BASE_URL): str}
            ),
        )
