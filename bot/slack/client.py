"""Talking to Slack: the Web API client, its retries, and what its failures mean.

``new_web_client`` builds slack-sdk's ``AsyncWebClient`` on a shared session
with retry handlers: rate limits (429, always safe to retry: Slack did not
post) honour ``Retry-After``; server errors and broken connections are
retried with backoff for reads, but never for ``chat.postMessage``, where
Slack may have posted before failing: the delivery step retries those only
after looking in the channel's history (``SlackSender.find``).

Errors become a small vocabulary a caller can act on: ``SlackAuthError``
(stop: the token is bad), ``SlackChannelError`` and ``SlackRejected`` (this
message will never go there), ``SlackRateLimited`` (wait, nothing was
posted) and ``SlackUnsure`` (it may or may not have been posted).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import TrialwireError
from bot.slack.messages import Message, console
from bot.slack.outbox import METADATA_TYPE, Alert

Sleep = Callable[[float], Awaitable[None]]

AUTH_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
    }
)
CHANNEL_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}
)
UNSURE_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
POST_METHOD = "chat.postMessage"


class SlackError(TrialwireError):
    """Slack did not do what was asked; the subclass says what to do about it."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class SlackAuthError(SlackError):
    """The token is missing, invalid, revoked or lacks a scope: no call will succeed."""


class SlackChannelError(SlackError):
    """The channel does not exist, is archived, or the bot is not in it."""


class SlackRejected(SlackError):
    """Slack refused this message for good (invalid blocks, too long …)."""


class SlackRateLimited(SlackError):
    """Rate limited after every retry; nothing was posted. Try after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, code="ratelimited")
        self.retry_after = retry_after


class SlackUnsure(SlackError):
    """A server error, a timeout or a broken connection: the message may have been posted."""


def classify(exc: BaseException, method: str) -> SlackError:
    """What a failure of a Web API call means to the caller."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = response.status_code
        code = str(response.get("error") or "") if isinstance(response.data, dict) else ""
        if status == 429 or code == "ratelimited":
            return SlackRateLimited(
                f"{method}: rate limited", retry_after=_retry_after(response.headers)
            )
        if status >= 500 or code in UNSURE_ERRORS:
            return SlackUnsure(f"{method}: HTTP {status} {code}".rstrip(), code=code or str(status))
        if code in AUTH_ERRORS:
            needed = response.get("needed") if isinstance(response.data, dict) else None
            scope = f" (needs scope {needed})" if needed else ""
            return SlackAuthError(f"{method}: {code}{scope}", code=code)
        if code in CHANNEL_ERRORS:
            return SlackChannelError(f"{method}: {code}", code=code)
        return SlackRejected(f"{method}: {code or f'HTTP {status}'}", code=code or str(status))
    return SlackUnsure(f"{method}: {type(exc).__name__}: {exc}", code=type(exc).__name__)


def _retry_after(headers: Any) -> float:
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


# -- retries ---------------------------------------------------------------------------


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's rate-limit handler with the sleep injected and the wait capped."""

    def __init__(
        self, max_retry_count: int, *, sleep: Sleep, max_wait: float = 120.0, jitter: float = 0.5
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep
        self.max_wait = max_wait
        self.jitter = jitter

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:  # pragma: no cover - only called for a 429 response
            raise error or RuntimeError("no response to a rate-limited call")
        state.next_attempt_requested = True
        wait = min(_retry_after(response.headers), self.max_wait)
        await self.sleep(wait + random.random() * self.jitter)
        state.increment_current_attempt()


def _is_post(request: HttpRequest) -> bool:
    return request.url.rstrip("/").endswith("/" + POST_METHOD)


class _ReadRetry(AsyncRetryHandler):
    """Retries with exponential backoff and jitter through the injected sleep, for every
    call but ``chat.postMessage`` (Slack may have posted it: the outbox reconciles)."""

    def __init__(self, max_retry_count: int, *, sleep: Sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _is_post(request):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        await self.sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


class ReadServerErrorRetry(_ReadRetry, AsyncServerErrorRetryHandler):
    """Retries 500/503 for every call but ``chat.postMessage``."""


class ReadConnectionErrorRetry(_ReadRetry, AsyncConnectionErrorRetryHandler):
    """Retries broken connections for every call but ``chat.postMessage``."""


def retry_handlers(
    *,
    rate_limit_retries: int = 5,
    server_error_retries: int = 2,
    connection_retries: int = 2,
    sleep: Sleep = asyncio.sleep,
) -> list[AsyncRetryHandler]:
    return [
        RateLimitRetry(rate_limit_retries, sleep=sleep),
        ReadServerErrorRetry(server_error_retries, sleep=sleep),
        ReadConnectionErrorRetry(connection_retries, sleep=sleep),
    ]


def new_web_client(
    *,
    token: str | None,
    base_url: str,
    session: aiohttp.ClientSession,
    handlers: list[AsyncRetryHandler] | None = None,
    timeout: int = 10,
) -> AsyncWebClient:
    """slack-sdk's client on ``session``, with ``handlers`` (``retry_handlers()`` by default)."""
    client = AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=timeout,
        retry_handlers=handlers if handlers is not None else retry_handlers(),
    )
    if urlsplit(base_url).hostname in ("127.0.0.1", "localhost", "::1"):
        client.proxy = None  # a proxy from the environment never sees loopback traffic
    return client


# -- senders -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posted:
    channel: str
    ts: str


class Sender(Protocol):
    """Where delivered alerts go: Slack, or the console."""

    async def post(self, alert: Alert) -> Posted: ...

    async def find(self, alert: Alert, oldest: float, latest: float) -> Posted | None:
        """The alert's message if it is in its channel between ``oldest`` and ``latest``
        (Unix seconds)."""
        ...


class SlackSender:
    """Posts alerts with their metadata; finds them again in a channel's history."""

    def __init__(self, client: AsyncWebClient, *, history_pages: int = 10) -> None:
        self.client = client
        self.history_pages = history_pages

    async def check(self) -> dict[str, Any]:
        """``auth.test``: who the token is, or SlackAuthError."""
        try:
            response = await self.client.auth_test()
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise classify(exc, "auth.test") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post(self, alert: Alert) -> Posted:
        try:
            response = await self.client.chat_postMessage(
                channel=alert.channel,
                text=alert.text,
                blocks=alert.blocks,
                metadata=alert.metadata(),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise classify(exc, POST_METHOD) from exc
        return Posted(channel=str(response["channel"]), ts=str(response["ts"]))

    async def find(self, alert: Alert, oldest: float, latest: float) -> Posted | None:
        cursor: str | None = None
        for _ in range(self.history_pages):
            try:
                response = await self.client.conversations_history(
                    channel=alert.channel,
                    oldest=f"{oldest:.6f}",
                    latest=f"{latest:.6f}",
                    inclusive=True,
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise classify(exc, "conversations.history") from exc
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == METADATA_TYPE
                    and payload.get("alert_id") == alert.alert_id
                ):
                    return Posted(channel=alert.channel, ts=str(message.get("ts")))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        raise SlackUnsure(
            f"conversations.history: more than {self.history_pages} pages around the attempt; "
            "not sure whether the alert was posted",
            code="history_too_long",
        )


class ConsoleSender:
    """Without a token: alerts are printed in the layout Slack would show."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    async def post(self, alert: Alert) -> Posted:
        self.write(console(alert.header or alert.channel, Message(alert.text, alert.blocks)))
        return Posted(channel=alert.channel, ts="console")

    async def find(self, alert: Alert, oldest: float, latest: float) -> Posted | None:
        return None  # a console keeps no history: after a crash, an alert may print twice
