"""The Bolt app that answers slash commands, served over HTTP or Socket Mode.

``new_app`` builds an ``AsyncApp`` with Bolt's request verification (the
signing secret, a 5-minute replay window) and nothing registered; the
command handlers register themselves (``handlers.slash.register``).
``process_before_response`` is on: the listener runs inline and its ack is
the HTTP response, instead of Bolt's default of running it as a task and
polling for the ack every 10 ms (a 10 ms floor on every answer).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

EVENTS_PATH = "/slack/events"
# A slash command is a few hundred bytes; anything much larger is not from Slack.
MAX_BODY = 64 * 1024

log = logging.getLogger(__name__)


async def _answer_only(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    """Without a bot token: answers go back in the ack, which needs no Web API call."""
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id)


def new_app(
    *,
    signing_secret: str,
    client: AsyncWebClient | None = None,
    process_before_response: bool = True,
) -> AsyncApp:
    """An AsyncApp that verifies every request with ``signing_secret``.

    With a ``client`` that has a token, Bolt checks it once (``auth.test``); without
    one the app still answers slash commands, in their acks.
    """
    if not signing_secret:
        raise ValueError("a signing secret is required to verify requests from Slack")
    if client is not None and client.token:
        return AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=process_before_response,
            logger=log,
        )
    return AsyncApp(
        signing_secret=signing_secret,
        authorize=_answer_only,
        process_before_response=process_before_response,
        logger=log,
        client=client,
    )


def add_route(app: web.Application, bolt: AsyncApp, *, path: str = EVENTS_PATH) -> None:
    """Serve ``bolt`` at ``path`` (POST only) on an existing aiohttp application."""

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app.router.add_post(path, events)


def web_app(
    bolt: AsyncApp, *, path: str = EVENTS_PATH, max_body: int = MAX_BODY
) -> web.Application:
    """An aiohttp application serving ``bolt`` at ``path`` (POST only)."""
    app = web.Application(client_max_size=max_body)
    add_route(app, bolt, path=path)
    return app


@asynccontextmanager
async def serve_http(
    bolt: AsyncApp, *, host: str = "127.0.0.1", port: int = 3000, path: str = EVENTS_PATH
) -> AsyncIterator[str]:
    """Serve ``bolt`` until the block ends; yields the URL Slack should call."""
    runner = web.AppRunner(web_app(bolt, path=path), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0]
        yield f"http://{bound[0]}:{bound[1]}{path}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def socket_mode(
    bolt: AsyncApp, *, app_token: str, web_client: AsyncWebClient | None = None
) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect ``bolt`` to Slack over Socket Mode (no public URL) until the block ends."""
    handler = AsyncSocketModeHandler(bolt, app_token, web_client=web_client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
