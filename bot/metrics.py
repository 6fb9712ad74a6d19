"""Prometheus metrics of a running daemon, in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.feeds.poller import PollOutcome


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter(
            "trialwire_polls", "Feed polls by result", ["feed", "result"], registry=self.registry
        )
        self.not_modified = Counter(
            "trialwire_feed_not_modified", "Polls answered 304", ["feed"], registry=self.registry
        )
        self.errors = Counter(
            "trialwire_feed_errors",
            "Failed polls by kind",
            ["feed", "kind"],
            registry=self.registry,
        )
        self.releases = Counter(
            "trialwire_releases", "Releases recorded", ["feed"], registry=self.registry
        )
        self.events = Gauge(
            "trialwire_log_events", "Events in the log by type", ["type"], registry=self.registry
        )
        self.lag = Gauge(
            "trialwire_subscriber_lag",
            "Positions a subscriber is behind the head of the log",
            ["subscriber"],
            registry=self.registry,
        )
        self.alert_latency = Histogram(
            "trialwire_alert_latency_seconds",
            "From deciding an alert to Slack accepting it",
            buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600),
            registry=self.registry,
        )

    def observe_poll(self, outcome: PollOutcome) -> None:
        if outcome.status == "skipped":
            return
        self.polls.labels(outcome.feed, outcome.status).inc()
        if outcome.status == "not-modified":
            self.not_modified.labels(outcome.feed).inc()
        if outcome.error is not None:
            self.errors.labels(outcome.feed, outcome.error.kind.value).inc()
        if outcome.new_releases:
            self.releases.labels(outcome.feed).inc(outcome.new_releases)

    def render(self) -> bytes:
        return generate_latest(self.registry)
