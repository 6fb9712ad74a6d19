"""The errors a caller can act on. Every trialwire error is a TrialwireError."""

from __future__ import annotations


class TrialwireError(Exception):
    """Root of every error trialwire raises on purpose."""


class ConfigError(TrialwireError):
    """Configuration is missing or invalid; the message names the bad key."""
