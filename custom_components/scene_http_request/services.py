"""The scene_http_request.send action."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback

from .const import DOMAIN, SERVICE_SEND


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the send action."""
    hass.services.async_register(
        DOMAIN, SERVICE_SEND, _async_send, supports_response=SupportsResponse.OPTIONAL
    )


async def _async_send(call: ServiceCall) -> ServiceResponse:
    return None
