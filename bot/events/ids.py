"""Deterministic event ids: the same fact always gets the same id."""

from __future__ import annotations

from uuid import UUID, uuid5

# uuid5(NAMESPACE_URL, "https://github.com/trialwire"); changing it would change every id.
TRIALWIRE_NAMESPACE = UUID("277bccee-1603-5e99-8b69-3a8fd6c8eb69")


def event_id(*parts: object) -> UUID:
    """A UUIDv5 of the identifying parts, e.g. ``event_id("ReleaseReceived", release_id)``.

    Parts are joined with a separator that cannot occur in them unescaped, so
    ("a b", "c") and ("a", "b c") never collide.
    """
    text = "\x1f".join(str(part).replace("\x1f", " ") for part in parts)
    return uuid5(TRIALWIRE_NAMESPACE, text)
