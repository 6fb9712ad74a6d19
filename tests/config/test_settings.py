"""Configuration errors name the bad key; defaults are sane."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings, parse_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_configuration_is_valid() -> None:
    settings = load_settings(ROOT / "config" / "trialwire.example.toml")
    specs = {spec.name: spec for spec in settings.feed_specs()}
    assert specs["biotech"].url == (
        "https://www.globenewswire.com/RssFeed/industry/4573-Biotechnology"
    )
    assert specs["biotech"].interval == 60
    assert specs["pharma"].interval == 120
    assert specs["clinical-study"].url.endswith("/RssFeed/keyword/clinical%20trial")
    assert "CLRB" in specs["biotech"].watch_tickers


def test_an_organization_feed_ignores_the_watchlist_unless_asked() -> None:
    settings = parse_settings(
        {
            "watchlist": {"tickers": ["Nasdaq:CLRB"]},
            "feeds": [
                {"name": "cellectar", "organization": "VEmGT3UviXAdYJVILnjT3A=="},
                {"name": "watched", "organization": "abc", "watch": True},
            ],
        }
    )
    own, watched = settings.feed_specs()
    assert own.url.endswith("/RssFeed/organization/VEmGT3UviXAdYJVILnjT3A==")
    assert own.watch_tickers == frozenset()
    assert watched.watch_tickers == frozenset({"CLRB"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"feeds": [{"name": "x"}]}, "feeds[0] (x): Value error, give exactly one of"),
        ({"feeds": [{"name": "x", "industry": "a", "keyword": "b"}]}, "give exactly one"),
        ({"feeds": [{"name": "x", "url": "ftp://a"}]}, "must start with http"),
        (
            {"feeds": [{"name": "x", "industry": "a", "intervall": 5}]},
            "feeds[0] (x).intervall: Extra inputs",
        ),
        (
            {"feeds": [{"name": "x", "industry": "a", "interval": -5}]},
            "feeds[0] (x).interval: Input should be greater than 0",
        ),
        ({"poller": {"per_host": 0}}, "poller.per_host"),
        ({"pollr": {}}, "pollr: Extra inputs are not permitted"),
        ({"feeds": [{"name": "a", "industry": "x"}, {"name": "a", "keyword": "y"}]}, "repeated: a"),
        ({"feeds": [{"name": "bad name!", "industry": "x"}]}, "feeds[0] (bad name!).name"),
    ],
)
def test_bad_configuration_names_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data, source="test.toml")
    assert message in str(caught.value)


def test_unreadable_or_invalid_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[poller\ninterval = 5")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)


def test_an_unknown_feed_name_lists_the_known_ones() -> None:
    settings = parse_settings({"feeds": [{"name": "biotech", "industry": "4573-Biotechnology"}]})
    with pytest.raises(ConfigError, match="no feed named 'nope' \\(feeds: biotech\\)"):
        settings.feed("nope")


def test_a_secret_in_the_file_is_refused_with_where_to_put_it() -> None:
    with pytest.raises(
        ConfigError, match=r"slack\.bot_token: secrets do not belong .*\(SLACK_BOT_TOKEN"
    ):
        parse_settings({"slack": {"bot_token": "xoxb-123"}})
    with pytest.raises(ConfigError, match=r"log\.password"):
        parse_settings({"log": {"password": "hunter2"}})


def test_the_example_slack_section_routes_as_it_says() -> None:
    from bot.compose import alert_routing

    settings = load_settings(ROOT / "config" / "trialwire.example.toml")
    routing = alert_routing(settings)
    assert routing.default_channel == "C0123TRIALS"
    assert routing.channels("CLRB", "CLR131", "CohortInitiated", 70, {}) == {"C0123CLRB"}
    assert routing.channels("SELB", "SEL302", "ClinicalHold", 100, {}) == {"C0123URGENT"}
    assert routing.channels("SELB", "SEL302", "CohortEnrolled", 40, {}) == {"C0123TRIALS"}
    assert routing.channels("SELB", "", "GuidanceMoved", 70, {"SELB": {"C0X": True}}) == {
        "C0123GUIDANCE",
        "C0X",
    }


@pytest.mark.parametrize(
    ("slack", "message"),
    [
        ({"token": "xoxb-1"}, "slack.token: secrets do not belong in the configuration file"),
        ({"signing_secret": "s"}, "slack.signing_secret: secrets do not belong"),
        (
            {"default_channel": "#trials"},
            "slack.default_channel: Value error, '#trials' is not a channel id",
        ),
        (
            {"routes": [{"channels": []}]},
            "slack.routes[0].channels: List should have at least 1 item",
        ),
        ({"routes": [{"channels": ["C1X"], "types": ["Cohort"]}]}, "unknown event type(s) Cohort"),
        (
            {"routes": [{"channels": ["C1X"], "min_importance": "urgent"}]},
            "slack.routes[0].min_importance",
        ),
        ({"api_url": "slack.com/api"}, "api_url must start with http:// or https://"),
        ({"command": "trial"}, "slack.command"),
    ],
)
def test_slack_mistakes_name_the_key(slack: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"slack": slack})
    assert message in str(caught.value)


def test_slack_secrets_come_from_the_environment_only() -> None:
    from bot.compose import SlackSecrets

    secrets = SlackSecrets.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": ""}
    )
    assert (secrets.bot_token, secrets.signing_secret, secrets.app_token) == ("xoxb-1", "s", None)
