"""The deployment files say what they promise (no container engine runs here to build them)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_image_runs_as_an_unprivileged_user_with_a_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users
    assert users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
    assert "STOPSIGNAL SIGTERM" in dockerfile


def test_the_compose_file_runs_replicas_on_postgresql_with_a_valid_config() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "postgres:" in compose
    assert "replicas: 2" in compose
    settings = load_settings(DEPLOY / "trialwire.compose.toml")
    assert settings.log.url.startswith("postgresql://")


def test_the_systemd_unit_is_hardened_and_drains() -> None:
    unit = (DEPLOY / "trialwire.service").read_text()
    for directive in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "KillSignal=SIGTERM",
    ):
        assert directive in unit


def test_the_slack_manifest_declares_the_command_scopes_and_socket_mode() -> None:
    manifest = (DEPLOY / "slack-app-manifest.yaml").read_text()
    assert "command: /trial" in manifest
    for scope in ("commands", "chat:write", "channels:history"):
        assert f"- {scope}" in manifest
    assert "socket_mode_enabled: true" in manifest
