"""Configuration: one TOML file, validated, with errors that name the bad key.

Secrets never live here: they come from the environment (see the README).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import ConfigError
from bot.events.trial import TRIAL_EVENT_TYPES
from bot.feeds.fetch import Limits
from bot.feeds.model import FeedSpec
from bot.feeds.poller import PollerSettings
from bot.feeds.schedule import Backoff

Seconds = Annotated[float, Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogConfig(_Section):
    url: str = "sqlite:///trialwire.db"
    schema_name: str = Field(default="trialwire", alias="schema")
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"


class GlobeNewswireConfig(_Section):
    base_url: str = "https://www.globenewswire.com"


class PollerConfig(_Section):
    interval: Seconds = 60.0
    jitter: Annotated[float, Field(ge=0, le=0.5)] = 0.1
    max_connections: Annotated[int, Field(ge=1, le=1000)] = 50
    per_host: Annotated[int, Field(ge=1, le=100)] = 4
    timeout: Seconds = 20.0
    max_feed_bytes: Annotated[int, Field(ge=1024)] = 5 * 1024 * 1024
    max_page_bytes: Annotated[int, Field(ge=1024)] = 5 * 1024 * 1024
    backoff_base: Seconds = 30.0
    backoff_cap: Seconds = 3600.0
    alert_first_poll: bool = False
    history_per_poll: Annotated[int, Field(ge=0)] = 4
    max_page_attempts: Annotated[int, Field(ge=1)] = 5

    def poller_settings(self) -> PollerSettings:
        return PollerSettings(
            feed_limits=Limits(timeout=self.timeout, max_bytes=self.max_feed_bytes),
            page_limits=Limits(timeout=self.timeout, max_bytes=self.max_page_bytes),
            backoff=Backoff(base=self.backoff_base, cap=self.backoff_cap, jitter=self.jitter),
            alert_first_poll=self.alert_first_poll,
            history_per_poll=self.history_per_poll,
            max_page_attempts=self.max_page_attempts,
            page_concurrency=self.per_host,
        )


class DaemonConfig(_Section):
    http_host: str = "127.0.0.1"
    # 0 picks a free port (tests); /healthz and /metrics are served here.
    http_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    shutdown_timeout: Seconds = 20.0
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # A replica takes over a dead one's feeds and subscribers within this many seconds.
    lease_recheck: Seconds = 5.0


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def _channel_id(value: str) -> str:
    if not _CHANNEL_ID.match(value):
        raise ValueError(
            f"{value!r} is not a channel id; use the id (like C0123ABCD, at the bottom of the "
            "channel's details), which stays the same when the channel is renamed"
        )
    return value


ChannelId = Annotated[str, AfterValidator(_channel_id)]
Importance = Literal["low", "medium", "high"]


class SlackRoute(_Section):
    """Events matching every given condition (an empty list matches all) go to ``channels``."""

    channels: Annotated[list[ChannelId], Field(min_length=1)]
    tickers: list[str] = []
    drugs: list[str] = []
    types: list[str] = []
    min_importance: Importance = "low"

    @model_validator(mode="after")
    def _known_types(self) -> SlackRoute:
        known = {cls.TYPE for cls in TRIAL_EVENT_TYPES}
        unknown = sorted(set(self.types) - known)
        if unknown:
            raise ValueError(
                f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return self


class SlackConfig(_Section):
    """Where alerts go and how /trial is served. Secrets come from the environment only:
    SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN."""

    api_url: str = "https://slack.com/api/"
    default_channel: ChannelId | None = None
    ops_channel: ChannelId | None = None
    min_importance: Importance = "low"
    routes: list[SlackRoute] = []
    mode: Literal["http", "socket"] = "http"
    # /trial over HTTP is served by the daemon, beside /healthz ([daemon] http_host, http_port).
    path: Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_-]*$")] = "/slack/events"
    command: Annotated[str, Field(pattern=r"^/[a-z0-9_-]{1,31}$")] = "/trial"
    max_delay_hours: Annotated[float, Field(gt=0)] = 24.0
    settle_timeout: Seconds = 120.0
    timeout: Annotated[int, Field(ge=1, le=120)] = 10
    rate_limit_retries: Annotated[int, Field(ge=0, le=50)] = 5
    server_error_retries: Annotated[int, Field(ge=0, le=10)] = 2
    connection_retries: Annotated[int, Field(ge=0, le=10)] = 2

    @model_validator(mode="after")
    def _api_url(self) -> SlackConfig:
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError("api_url must start with http:// or https://")
        return self


class WatchlistConfig(_Section):
    tickers: list[str] = []
    companies: list[str] = []


_SOURCES = ("organization", "industry", "keyword", "subject", "url")


class FeedConfig(_Section):
    """A feed by GlobeNewswire organization token, industry, keyword, subject code or raw URL."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")]
    organization: str | None = None
    industry: str | None = None
    keyword: str | None = None
    subject: str | None = None
    url: str | None = None
    interval: Seconds | None = None
    # Apply the watchlist; by default every feed but an organization's own does.
    watch: bool | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FeedConfig:
        given = [key for key in _SOURCES if getattr(self, key)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(_SOURCES)} (got {given or 'none'})")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return self

    def feed_url(self, base: str) -> str:
        base = base.rstrip("/")
        if self.url:
            return self.url
        if self.organization:
            return f"{base}/RssFeed/organization/{quote(self.organization, safe='=')}"
        if self.industry:
            return f"{base}/RssFeed/industry/{quote(self.industry)}"
        if self.keyword:
            return f"{base}/RssFeed/keyword/{quote(self.keyword)}"
        return f"{base}/RssFeed/subjectcode/{quote(self.subject or '')}"


class Settings(_Section):
    log: LogConfig = LogConfig()
    globenewswire: GlobeNewswireConfig = GlobeNewswireConfig()
    poller: PollerConfig = PollerConfig()
    watchlist: WatchlistConfig = WatchlistConfig()
    daemon: DaemonConfig = DaemonConfig()
    feeds: list[FeedConfig] = []
    slack: SlackConfig = SlackConfig()

    @model_validator(mode="after")
    def _unique_feed_names(self) -> Settings:
        names = [feed.name for feed in self.feeds]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"feed names must be unique; repeated: {', '.join(twice)}")
        return self

    def feed_specs(self) -> list[FeedSpec]:
        tickers = frozenset(t.rpartition(":")[2].strip().upper() for t in self.watchlist.tickers)
        companies = tuple(self.watchlist.companies)
        specs = []
        for feed in self.feeds:
            watch = feed.watch if feed.watch is not None else feed.organization is None
            specs.append(
                FeedSpec(
                    name=feed.name,
                    url=feed.feed_url(self.globenewswire.base_url),
                    interval=feed.interval or self.poller.interval,
                    watch_tickers=tickers if watch else frozenset(),
                    watch_companies=companies if watch else (),
                )
            )
        return specs

    def feed(self, name: str) -> FeedSpec:
        for spec in self.feed_specs():
            if spec.name == name:
                return spec
        known = ", ".join(f.name for f in self.feeds) or "none configured"
        raise ConfigError(f"no feed named {name!r} (feeds: {known})")


def load_settings(path: Path | None) -> Settings:
    """Read and validate ``path``; without a file, the defaults (no feeds)."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_settings(data, source=str(path))


_SECRET_WORDS = ("token", "secret", "password", "api_key", "apikey")


def _refuse_secrets(data: object, path: str = "") -> None:
    """A secret in a file ends up in backups and repositories: it belongs in the environment."""
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in _SECRET_WORDS):
                raise ConfigError(
                    f"{where}: secrets do not belong in the configuration file; set them in the "
                    "environment (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN)"
                )
            _refuse_secrets(value, where)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _refuse_secrets(item, f"{path}[{index}]")


def parse_settings(data: dict[str, object], *, source: str = "config") -> Settings:
    _refuse_secrets(data)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {_location(error['loc'], data)}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"{source} has {exc.error_count()} problem(s):\n{problems}") from None


def _location(loc: tuple[int | str, ...], data: dict[str, object]) -> str:
    """``feeds[2] (biotech).interval`` rather than pydantic's tuple."""
    parts: list[str] = []
    node: object = data
    for key in loc:
        if isinstance(key, int):
            name = ""
            if isinstance(node, list) and key < len(node) and isinstance(node[key], dict):
                name = f" ({node[key].get('name')})" if node[key].get("name") else ""
            parts[-1] += f"[{key}]{name}"
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"
