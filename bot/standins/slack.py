"""A stand-in for the Slack Web API (and Socket Mode), on 127.0.0.1.

It answers the calls trialwire makes the way Slack does — ``auth.test``,
``chat.postMessage``, ``conversations.history`` (with message metadata),
``apps.connections.open`` and a Socket Mode WebSocket — checks what Slack
checks (the bearer token, that the channel exists, Block Kit limits,
metadata shape), records every message, and fails on request: ``ratelimited``
429 with ``Retry-After``, a 500, a 500 *after* the message was accepted
(the ambiguous case), an error code such as ``invalid_auth``, or a random
share of 500s. The real slack-sdk and Bolt talk to it in tests and the demo.

Routes: ``/api/{method}``, ``/commands/{id}`` (response URLs, recorded),
``/socket`` (Socket Mode), and for people and other processes
``GET /_standin/messages`` and ``POST /_standin/faults``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-standin"
APP_TOKEN = "xapp-standin"
TEAM_ID = "T0TRIALWIRE"
BOT_USER = "U0TRIALWIRE"
BOT_ID = "B0TRIALWIRE"

# Slack's limits, as chat.postMessage enforces them.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCKS_CHARS = 13_200
MAX_TEXT = 40_000
KNOWN_BLOCKS = {"section", "context", "divider", "header", "image", "actions", "rich_text"}


@dataclass(kw_only=True, slots=True)
class Posted:
    """A message the stand-in accepted."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    options: dict[str, Any] = field(default_factory=dict)

    def as_history(self, *, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "ts": self.ts,
            "text": self.text,
            "bot_id": BOT_ID,
            "blocks": self.blocks,
        }
        if with_metadata and self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass(kw_only=True, slots=True)
class Call:
    """A Web API call as the stand-in saw it."""

    method: str
    status: int
    error: str | None = None
    channel: str | None = None


@dataclass(kw_only=True, slots=True)
class SlackFault:
    """Fail ``method`` the next ``times`` calls (None: until cleared).

    ``status`` 429 answers ``ratelimited`` with ``Retry-After``; 500 a server
    error (after ``delay`` seconds, if given: a timeout to a client that waits less); ``accept`` first records the message (Slack posted it) and then
    fails, which the caller cannot tell from a failure before posting; ``error``
    answers HTTP 200 with ``{"ok": false, "error": error}``.
    """

    method: str
    status: int = 500
    error: str | None = None
    times: int | None = 1
    retry_after: int = 1
    accept: bool = False
    # Answer only after this many seconds (longer than the client waits: a timeout).
    delay: float = 0.0


@dataclass(kw_only=True)
class SlackStandIn:
    """The Web API stand-in. ``channels`` maps channel id → name."""

    channels: dict[str, str] = field(default_factory=lambda: {"C0TRIALS": "trials"})
    bot_tokens: set[str] = field(default_factory=lambda: {BOT_TOKEN})
    app_tokens: set[str] = field(default_factory=lambda: {APP_TOKEN})
    clock: Callable[[], float] = time.time
    error_rate: float = 0.0
    seed: int = 0
    messages: dict[str, list[Posted]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    faults: list[SlackFault] = field(default_factory=list)
    socket_acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    # -- control -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """What slack-sdk takes as ``base_url``."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "") -> str:
        return f"{self.base_url}/commands/{name or uuid.uuid4().hex}"

    def inject(self, fault: SlackFault) -> None:
        self.faults.append(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def posted(self, channel: str | None = None) -> list[Posted]:
        if channel is not None:
            return list(self.messages.get(channel, []))
        return sorted((m for ms in self.messages.values() for m in ms), key=lambda m: float(m.ts))

    def count(self, method: str, *, status: int | None = None) -> int:
        return sum(
            1 for c in self.calls if c.method == method and (status is None or c.status == status)
        )

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever something is recorded)."""
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _touch(self) -> None:
        self._changed.set()

    # -- life ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/commands/{name}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/_standin/messages", self._dump)
        app.router.add_post("/_standin/faults", self._add_fault)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the Web API -----------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "apps.connections.open": self._connections_open,
        }.get(method)
        if handler is None:
            return self._answer(method, {"ok": False, "error": "unknown_method"}, status=404)
        fault = self._fault_for(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and not fault.accept:
            return self._fail(method, fault, params)
        if method == "apps.connections.open":
            if _bearer(request) not in self.app_tokens:
                return self._answer(method, {"ok": False, "error": "invalid_auth"})
        else:
            token = _bearer(request)
            if token is None:
                return self._answer(method, {"ok": False, "error": "not_authed"})
            if token not in self.bot_tokens:
                return self._answer(method, {"ok": False, "error": "invalid_auth"})
        if (
            fault is None
            and self.error_rate
            and method == "chat.postMessage"
            and self._random.random() < self.error_rate
        ):
            return self._answer(method, {"ok": False, "error": "internal_error"}, status=500)
        response = handler(request, params)
        if fault is not None:  # accepted, and yet the caller hears of a failure
            self.calls.pop()
            return self._fail(method, fault, params)
        return response

    def _answer(
        self,
        method: str,
        body: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        channel: str | None = None,
    ) -> web.Response:
        self.calls.append(
            Call(method=method, status=status, error=body.get("error"), channel=channel)
        )
        self._touch()
        return web.json_response(body, status=status, headers=headers)

    def _fault_for(self, method: str) -> SlackFault | None:
        for fault in self.faults:
            if fault.method == method:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _fail(self, method: str, fault: SlackFault, params: dict[str, Any]) -> web.Response:
        channel = params.get("channel")
        if fault.error is not None:
            return self._answer(method, {"ok": False, "error": fault.error}, channel=channel)
        if fault.status == 429:
            return self._answer(
                method,
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
                channel=channel,
            )
        return self._answer(
            method, {"ok": False, "error": "internal_error"}, status=fault.status, channel=channel
        )

    def _auth_test(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        return self._answer(
            "auth.test",
            {
                "ok": True,
                "url": "https://trialwire-standin.slack.com/",
                "team": "trialwire stand-in",
                "user": "trialwire",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            },
        )

    def _post_message(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        method = "chat.postMessage"
        channel = str(params.get("channel") or "")
        if channel not in self.channels:
            name = channel.lstrip("#")
            found = [cid for cid, cname in self.channels.items() if cname == name]
            if not found:
                return self._answer(
                    method, {"ok": False, "error": "channel_not_found"}, channel=channel
                )
            channel = found[0]
        text = str(params.get("text") or "")
        blocks = _json_field(params.get("blocks")) or []
        metadata = _json_field(params.get("metadata"))
        if not text and not blocks:
            return self._answer(method, {"ok": False, "error": "no_text"}, channel=channel)
        if len(text) > MAX_TEXT:
            return self._answer(method, {"ok": False, "error": "msg_too_long"}, channel=channel)
        problem = check_blocks(blocks)
        if problem is not None:
            return self._answer(
                method,
                {
                    "ok": False,
                    "error": "invalid_blocks",
                    "response_metadata": {"messages": [problem]},
                },
                channel=channel,
            )
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            return self._answer(
                method, {"ok": False, "error": "invalid_metadata_format"}, channel=channel
            )
        ts = f"{self.clock():.0f}.{next(self._seq):06d}"
        options = {
            k: v for k, v in params.items() if k not in ("channel", "text", "blocks", "metadata")
        }
        posted = Posted(
            channel=channel, ts=ts, text=text, blocks=blocks, metadata=metadata, options=options
        )
        self.messages.setdefault(channel, []).append(posted)
        return self._answer(
            method,
            {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": posted.as_history(with_metadata=True),
            },
            channel=channel,
        )

    def _history(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        method = "conversations.history"
        channel = str(params.get("channel") or "")
        if channel not in self.channels:
            return self._answer(
                method, {"ok": False, "error": "channel_not_found"}, channel=channel
            )
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(params.get("cursor") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [
            m for m in reversed(self.messages.get(channel, [])) if oldest <= float(m.ts) <= latest
        ]
        page = found[start : start + limit]
        more = start + limit < len(found)
        return self._answer(
            method,
            {
                "ok": True,
                "messages": [m.as_history(with_metadata=with_metadata) for m in page],
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            },
            channel=channel,
        )

    def _connections_open(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        url = self.base_url.replace("http://", "ws://") + "/socket"
        return self._answer("apps.connections.open", {"ok": True, "url": url})

    # -- response URLs, Socket Mode, control -------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append({"name": request.match_info["name"], **body})
        self._touch()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self._touch()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0TRIALWIRE"},
                }
            )
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    data = json.loads(message.data)
                    if "envelope_id" in data:
                        self.socket_acks[data["envelope_id"]] = data
                        self._touch()
        finally:
            self._sockets.remove(ws)
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an event to the connected Socket Mode client; returns its envelope id."""
        await self.wait_for(lambda: bool(self._sockets))
        envelope_id = uuid.uuid4().hex
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": True,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def _dump(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "messages": [asdict(m) for m in self.posted()],
                "calls": [asdict(c) for c in self.calls],
                "responses": self.responses,
            }
        )

    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            self.inject(SlackFault(**body))
        except TypeError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True})


def check_blocks(blocks: object) -> str | None:
    """What Slack would refuse in ``blocks``, or None."""
    if not isinstance(blocks, list):
        return "blocks must be a list"
    if len(blocks) > MAX_BLOCKS:
        return f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
    total = 0
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            return f"unknown block type [json-pointer:/blocks/{index}]"
        if block["type"] == "section":
            text = (block.get("text") or {}).get("text", "")
            if not isinstance(text, str) or not text or len(text) > MAX_SECTION_TEXT:
                return (
                    f"must be 1..{MAX_SECTION_TEXT} characters [json-pointer:/blocks/{index}/text]"
                )
            total += len(text)
        elif block["type"] == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
                return f"1..{MAX_CONTEXT_ELEMENTS} elements [json-pointer:/blocks/{index}/elements]"
            for element in elements:
                text = element.get("text", "")
                if len(text) > MAX_SECTION_TEXT:
                    return f"context text too long [json-pointer:/blocks/{index}]"
                total += len(text)
    if total > MAX_BLOCKS_CHARS:
        return f"blocks hold {total} characters; a message holds {MAX_BLOCKS_CHARS}"
    return None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    return None


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(await request.post())
    return params


def _json_field(value: object) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
