"""``trialwire run``: the long-running daemon, built from settings in one place.

It polls every feed on its schedule, follows the log with every subscriber,
decides and delivers Slack alerts (to the console without a token), answers
``/trial`` (over HTTP at ``[slack] path`` beside ``/healthz`` and ``/metrics``,
or over Socket Mode), and serves ``/healthz`` and ``/metrics``. Several
replicas may share one PostgreSQL log: each feed is polled, each subscriber
run, and alerts decided and delivered, by whichever replica holds the lease;
when a replica dies the others take over.

On SIGTERM/SIGINT it drains: no new polls start, polls in flight finish
(within ``shutdown_timeout``), subscribers finish their page and store their
checkpoints, then sessions and the log close.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.aio import first_of
from bot.clock import Clock, system_clock
from bot.compose import Polling, SlackSecrets, alerting, polling, slack_client, trial_app
from bot.eventlog import CatchUpSubscription, EventLog, Subscriber
from bot.feeds.model import FeedSpec, Health, health
from bot.metrics import Metrics
from bot.scheduler import FeedScheduler
from bot.settings import Settings
from bot.slack.app import MAX_BODY, add_route, socket_mode
from bot.slack.outbox import QUEUE, Alert
from handlers.pipeline import COMMIT_EVERY, PAGE_SIZE, knowledge_subscribers
from handlers.slash import TrialCommands

log = logging.getLogger(__name__)

# Something that adds routes to the daemon's web app (the Slack endpoint does).
RouteSetup = Callable[[web.Application], None]
ALERTS_LEASE = "alerts"
ALERTS_SUBSCRIBER = "slack-alerts"


@dataclass(kw_only=True)
class Daemon:
    settings: Settings
    clock: Clock = system_clock
    secrets: SlackSecrets = field(default_factory=SlackSecrets.from_env)
    subscribers: Sequence[Subscriber] = field(default_factory=knowledge_subscribers)
    routes: Sequence[RouteSetup] = ()
    metrics: Metrics = field(default_factory=Metrics)
    # Where alerts go without a Slack token (the console, in the layout Slack would show).
    alert_output: Callable[[str], None] = print
    # Set once the web app listens: where /healthz answers.
    base_url: str = ""
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._parts: Polling | None = None
        self._subscriptions: list[CatchUpSubscription] = []
        self._started_at = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then drain and return."""
        settings = self.settings
        async with AsyncExitStack() as stack:
            parts = self._parts = await stack.enter_async_context(
                polling(settings, clock=self.clock)
            )
            client = await stack.enter_async_context(slack_client(settings, self.secrets))
            commands = await self._trial_command(stack, parts.log, client)
            specs = settings.feed_specs()
            runner = await self._serve(stack)
            log.info("trialwire started", extra={"feeds": len(specs), "url": self.base_url})

            followers_stop = asyncio.Event()
            self._subscriptions = [
                CatchUpSubscription(
                    parts.log, subscriber, page_size=PAGE_SIZE, commit_every=COMMIT_EVERY
                )
                for subscriber in self.subscribers
            ]
            followers = [
                asyncio.create_task(
                    run.run(
                        followers_stop,
                        lease=f"subscriber:{run.name}",
                        recheck=settings.daemon.lease_recheck,
                    ),
                    name=f"subscriber:{run.name}",
                )
                for run in self._subscriptions
            ]
            followers.append(
                asyncio.create_task(self._alerts(followers_stop, client), name="alerts")
            )
            scheduler = FeedScheduler(self._poll, specs, jitter=settings.poller.jitter)
            scheduler.start()
            self.started.set()
            try:
                await stop.wait()
            finally:
                log.info("draining")
                scheduler.shutdown()
                await self._drain_polls(settings.daemon.shutdown_timeout)
                followers_stop.set()
                await asyncio.gather(*followers, return_exceptions=True)
                await runner.cleanup()
                if commands is not None:
                    await commands.close()
                log.info("stopped")

    async def _alerts(self, stop: asyncio.Event, client: AsyncWebClient | None) -> None:
        """Decide and deliver alerts while this replica holds the ``alerts`` lease.

        Slack has no idempotency key, so only one replica may deliver: if the lease
        is lost (the database connection dropped), delivery stops until it is held
        again, and the ``sending`` records tell the next holder what to reconcile.
        """
        parts = self._parts
        assert parts is not None
        recheck = self.settings.daemon.lease_recheck
        while not stop.is_set():
            try:
                if not await parts.log.try_lease(ALERTS_LEASE):
                    await first_of(stop.wait(), timeout=recheck)
                    continue
                # A refused token is reported (once) by the delivery itself.
                pair = await alerting(
                    self.settings,
                    parts.log,
                    client,
                    clock=self.clock,
                    write=self.alert_output,
                    on_sent=self._alert_sent,
                )
                held = asyncio.Event()
                running = asyncio.create_task(pair.run(held))
                stopping = asyncio.ensure_future(stop.wait())
                try:
                    while (
                        not (stop.is_set() or running.done()) and ALERTS_LEASE in parts.log.leases
                    ):
                        await asyncio.wait(
                            {stopping, running},
                            timeout=recheck,
                            return_when=asyncio.FIRST_COMPLETED,
                        )
                finally:
                    stopping.cancel()
                    held.set()
                    await running
            except Exception:  # the database may be restarting: never give up
                log.exception("alerts failed; retrying")
                await first_of(stop.wait(), timeout=recheck)

    def _alert_sent(self, alert: Alert) -> None:
        decided = alert.decided_us / 1e6
        self.metrics.alert_latency.observe(max(0.0, self.clock().timestamp() - decided))

    async def _trial_command(
        self, stack: AsyncExitStack, event_log: EventLog, client: AsyncWebClient | None
    ) -> TrialCommands | None:
        """``/trial`` over Socket Mode, or over HTTP on the daemon's server; None if the
        secrets it needs are not set (said once, in the log)."""
        slack = self.settings.slack
        if slack.mode == "socket":
            if not self.secrets.app_token:
                log.warning("/trial is off: Socket Mode needs SLACK_APP_TOKEN")
                return None
            bolt, commands = trial_app(self.settings, event_log, signing_secret="socket-mode",
                                       client=client, clock=self.clock)  # fmt: skip
            opener = client or AsyncWebClient(base_url=slack.api_url)
            await stack.enter_async_context(
                socket_mode(bolt, app_token=self.secrets.app_token, web_client=opener)
            )
            return commands
        if not self.secrets.signing_secret:
            log.warning("/trial is off: SLACK_SIGNING_SECRET is not set")
            return None
        bolt, commands = trial_app(self.settings, event_log, client=client, clock=self.clock,
                                   signing_secret=self.secrets.signing_secret)  # fmt: skip
        self.routes = [*self.routes, lambda app: add_route(app, bolt, path=slack.path)]
        return commands

    async def _poll(self, spec: FeedSpec) -> None:
        """One feed's turn: only the replica holding its lease polls it."""
        parts = self._parts
        assert parts is not None
        if not await parts.log.try_lease(f"feed:{spec.name}"):
            return
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            outcome = await parts.poller.poll(spec)
            self.metrics.observe_poll(outcome)
        finally:
            self._in_flight.discard(task)

    async def _drain_polls(self, within: float) -> None:
        pending = set(self._in_flight)
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=within)
        for task in still:
            log.warning("poll cancelled at shutdown", extra={"task": task.get_name()})
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)

    # -- the web side ---------------------------------------------------------

    async def _serve(self, stack: AsyncExitStack) -> web.AppRunner:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        for setup in self.routes:
            setup(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        daemon = self.settings.daemon
        await web.TCPSite(runner, daemon.http_host, daemon.http_port).start()
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return runner

    async def health(self) -> dict[str, Any]:
        """Per-feed health, subscriber lags, leases held: what /healthz says."""
        parts = self._parts
        assert parts is not None
        feeds = {}
        for spec in self.settings.feed_specs():
            state = await parts.poller.state(spec.name)
            feeds[spec.name] = {
                "health": str(health(state)),
                "last_success_at": _iso(state.last_success_at),
                "consecutive_failures": state.consecutive_failures,
                "last_error": state.last_error if state.consecutive_failures else None,
                "items_seen": state.items_seen,
                "pending": len(state.pending),
                "polled_here": f"feed:{spec.name}" in parts.log.leases,
            }
        head = await parts.log.last_position()
        subscribers = {}
        for run in self._subscriptions:
            checkpoint = await parts.log.get_checkpoint(run.name)
            subscribers[run.name] = {
                "checkpoint": checkpoint,
                "lag": max(0, head - checkpoint),
                "runs_here": f"subscriber:{run.name}" in parts.log.leases,
            }
            self.metrics.lag.labels(run.name).set(max(0, head - checkpoint))
        alerts_at = await parts.log.get_checkpoint(ALERTS_SUBSCRIBER)
        alerts = {
            "checkpoint": alerts_at,
            "lag": max(0, head - alerts_at),
            "queued": len(await parts.log.scan_state(QUEUE)),
            "runs_here": ALERTS_LEASE in parts.log.leases,
        }
        self.metrics.lag.labels(ALERTS_SUBSCRIBER).set(max(0, head - alerts_at))
        failing = [name for name, feed in feeds.items() if feed["health"] == Health.FAILING]
        return {
            "status": "degraded" if failing else "ok",
            "failing_feeds": failing,
            "uptime_s": round(time.monotonic() - self._started_at, 1),
            "log_position": head,
            "feeds": feeds,
            "subscribers": subscribers,
            "alerts": alerts,
        }

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            body = await self.health()
        except Exception as exc:  # the log is unreachable: say so, do not crash the endpoint
            log.exception("health check failed")
            return web.json_response({"status": "down", "error": str(exc)}, status=503)
        return web.Response(text=json.dumps(body, indent=1), content_type="application/json")

    async def _metrics(self, request: web.Request) -> web.Response:
        parts = self._parts
        assert parts is not None
        stats = await parts.log.stats(top_streams=0)
        for type_name, count in stats.by_type.items():
            self.metrics.events.labels(type_name).set(count)
        await self.health()  # refreshes the lag gauges
        return web.Response(body=self.metrics.render(), content_type="text/plain")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def run_until_signalled(daemon: Daemon) -> None:
    """Run ``daemon`` until SIGTERM or SIGINT."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await daemon.run(stop)
