"""Selectors the profile form and the saved-request form share."""

from __future__ import annotations

from typing import Final

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    ObjectSelector,
    ObjectSelectorConfig,
)

from .const import CONF_HEADER_NAME, CONF_HEADER_VALUE, MAX_TIMEOUT, MIN_TIMEOUT

TIMEOUT_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(
        min=MIN_TIMEOUT,
        max=MAX_TIMEOUT,
        step=0.1,
        unit_of_measurement="s",
        mode=NumberSelectorMode.BOX,
    )
)


def rows_selector(translation_key: str) -> ObjectSelector:
    """Return a selector of name and value rows (headers, params)."""
    return ObjectSelector(
        ObjectSelectorConfig(
            fields={
                CONF_HEADER_NAME: {"selector": {"text": {}}, "required": True},
                CONF_HEADER_VALUE: {"selector": {"text": {}}, "required": True},
            },
            multiple=True,
            label_field=CONF_HEADER_NAME,
            translation_key=translation_key,
        )
    )
