"""A login-protected site on a recording server: what the login tests share.

The `site` fixture (tests/conftest.py) installs one on the `server` fixture.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web

from .server import RecordingServer

USERNAME = "admin"
PASSWORD = "pw-SECRET-hunter2"


@dataclass
class LoginSite:
    """Logs in with a form or JSON; the API takes the session cookie or the token.

    /login sets a session cookie, /login-json answers a token, /login-redirect
    sets the cookie and redirects; /api/login does either by the body's type (a
    form: cookie, JSON: token). The fields "user" and "pass" must be username
    and password, else the login is refused with refusal (with 403 at
    /login-json). Session IDs and tokens are numbered; expire() ends every
    session at once.
    """

    server: RecordingServer
    username: str = USERNAME
    password: str = PASSWORD
    refusal: int = 401
    ended_status: int = 401
    login_delay: float = 0.0
    gate: asyncio.Event | None = None  # the first login waits for it
    valid: set[str] = field(default_factory=set)
    logins: list[dict[str, Any]] = field(default_factory=list)
    api_calls: int = 0
    expiries: int = 0

    def profile(self, **extra: Any) -> dict[str, Any]:
        """Return the options of a form-login profile of this site."""
        return {
            "auth_type": "login",
            "login_url": self.server.url("/login"),
            "username": self.username,
            "password": self.password,
            "login_fields": [
                {"name": "user", "value": "{{ username }}"},
                {"name": "pass", "value": "{{ password }}"},
            ],
            **extra,
        }

    def expire(self) -> None:
        """End every session: the API answers ended_status from now on."""
        self.valid.clear()
        self.expiries += 1

    def install(self) -> None:
        """Route the login pages and the API on the server."""
        self.server.route("/login")(self._login)
        self.server.route("/login-json")(self._login_json)
        self.server.route("/login-redirect")(self._login_redirect)
        self.server.route("/welcome")(self._welcome)
        self.server.route("/api/login")(self._login_any)
        self.server.route("/api/")(self._api)
        self.server.route("/api/data")(self._api)
        self.server.route("/api/upload")(self._api)
        self.server.route("/api/upload/x")(self._api)
        self.server.route("/wrong/x")(self._api)
        self.server.route("/broken")(self._broken)

    async def _account(self, request: web.Request) -> dict[str, Any]:
        """Return the login's fields (query, form or JSON) and wait as asked."""
        if request.method == "GET":
            fields: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            fields = json.loads(await request.read())
        else:
            fields = dict(await request.post())
        self.logins.append(fields)
        if self.gate is not None and len(self.logins) == 1:
            await self.gate.wait()
        await asyncio.sleep(self.login_delay)
        return fields

    def _accepts(self, fields: dict[str, Any]) -> bool:
        """Return whether the login's fields name this site's account."""
        account = (fields.get("user"), fields.get("pass"))
        return account == (self.username, self.password)

    def _issue(self, prefix: str) -> str:
        issued = f"{prefix}-SECRET-{len(self.logins)}"
        self.valid.add(issued)
        return issued

    def _cookie(self) -> web.Response:
        response = web.json_response({"ok": True})
        response.set_cookie("sid", self._issue("sid"), httponly=True)
        return response

    def _token(self) -> web.Response:
        return web.json_response({"token": self._issue("tok")})

    async def _login(self, request: web.Request) -> web.Response:
        if not self._accepts(await self._account(request)):
            return web.json_response({"error": "denied"}, status=self.refusal)
        return self._cookie()

    async def _login_json(self, request: web.Request) -> web.Response:
        if not self._accepts(await self._account(request)):
            return web.json_response({"error": "denied"}, status=403)
        return self._token()

    async def _login_any(self, request: web.Request) -> web.Response:
        if not self._accepts(await self._account(request)):
            return web.json_response({"error": "denied"}, status=self.refusal)
        if request.content_type == "application/json":
            return self._token()
        return self._cookie()

    async def _login_redirect(self, request: web.Request) -> web.Response:
        if not self._accepts(await self._account(request)):
            return web.json_response({"error": "denied"}, status=self.refusal)
        response = web.HTTPFound("/welcome")
        response.set_cookie("sid", self._issue("sid"))
        raise response

    async def _broken(self, _: web.Request) -> web.Response:
        self.logins.append({})
        return web.Response(status=500)

    async def _welcome(self, _: web.Request) -> web.Response:
        response = web.Response(text="<html>welcome</html>")
        response.set_cookie("seen", "welcome-SECRET")
        return response

    async def _api(self, request: web.Request) -> web.Response:
        self.api_calls += 1
        sid = request.cookies.get("sid", "")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if sid not in self.valid and token not in self.valid:
            return web.json_response({"error": "ended"}, status=self.ended_status)
        body = await request.read()
        response = web.json_response({"ok": True, "received": len(body)})
        response.set_cookie("last", f"seen-SECRET-{self.api_calls}")
        return response
