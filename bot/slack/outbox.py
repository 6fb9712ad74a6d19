"""The alert outbox: decided alerts, the queue still to deliver, and each delivery's record.

Three namespaces of the log's state, so that deciding and delivering never
overwrite each other:

- ``slack-outbox``: alert id → the alert as decided (written once, by the reactor,
  in the unit of work that moves its checkpoint);
- ``slack-queue``: ``{position:016d}:{alert id}`` → alert id, what is still to
  deliver, in the order it was decided;
- ``slack-delivery``: alert id → where its delivery stands (written by the
  delivery step only): *sending* before each attempt, *sent* with Slack's ``ts``
  once Slack accepted it, *failed* when Slack refused it for good.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from bot.eventlog import UnitOfWork

OUTBOX = "slack-outbox"
QUEUE = "slack-queue"
DELIVERY = "slack-delivery"
# The message metadata event type every alert carries, with its alert id.
METADATA_TYPE = "trialwire_alert"

Status = Literal["queued", "sending", "sent", "failed"]


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One message to one channel: a release's facts, or a feed's health."""

    alert_id: str
    channel: str
    subject: str  # the release id, or the event id of a feed's health change
    text: str
    blocks: list[dict[str, Any]]
    queue_key: str
    decided_us: int
    header: str = ""  # how the console names it: "#channel · company"

    def metadata(self) -> dict[str, Any]:
        """Slack message metadata: how a restarted delivery recognises its own message."""
        return {
            "event_type": METADATA_TYPE,
            "event_payload": {"alert_id": self.alert_id, "subject": self.subject},
        }


class Delivery(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: Status = "queued"
    attempts: int = 0
    started_us: int | None = None  # when the last attempt began
    not_before_us: int | None = None  # backing off until then
    channel_id: str | None = None
    ts: str | None = None
    reconciled: bool = False  # found in the channel's history after a restart
    error: str | None = None


ALERT_DECODER = msgspec.json.Decoder(Alert)
DELIVERY_DECODER = msgspec.json.Decoder(Delivery)
ENCODER = msgspec.json.Encoder()


def queue_key(position: int, alert_id: str) -> str:
    return f"{position:016d}:{alert_id}"


async def enqueue(uow: UnitOfWork, alert: Alert) -> bool:
    """Store a decided alert and queue it, unless it was decided before; True if new."""
    if await uow.get_state(OUTBOX, alert.alert_id) is not None:
        return False
    await uow.put_state(OUTBOX, alert.alert_id, ENCODER.encode(alert))
    await uow.put_state(QUEUE, alert.queue_key, alert.alert_id.encode())
    return True
