"""The guidance tracker, a process manager: moves and achievements the releases imply.

It keeps each company's guidance book and, reading the log:

- when a GuidanceIssued gives a milestone already guided for another period,
  appends GuidanceMoved (basis "inferred", earlier or later by the rules of
  DESIGN.md; a narrowed window is not a move), with both releases as evidence;
- when an event reaches a guided milestone (a trial started, a cohort dosed,
  data reported, a filing submitted …), appends MilestoneAchieved, ahead,
  on time or late against the last guidance.

What a release states itself (GuidanceMoved, MilestoneAchieved) is taken as
said and never inferred again. Appends carry deterministic ids, so a replay
or a second replica never duplicates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from bot.eventlog import NewEvent, RecordedEvent, UnitOfWork
from bot.events import DOMAIN_EVENTS, event_id
from bot.events.trial import (
    CohortInitiated,
    DataReported,
    EnrollmentCompleted,
    FirstPatientDosed,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    RegulatoryFiling,
    TrialEvent,
    TrialInitiated,
)
from handlers import guidance
from handlers.documents import GuidanceDoc
from handlers.milestones import achieved_key, compare_periods, milestone_key, versus_guidance
from handlers.trial_state import Meta, meta_of

NAMESPACE = "guidance-tracker"
TRACKER_VERSION = "guidance-tracker/1"
_STATED = (GuidanceMoved, MilestoneAchieved)
_ACHIEVING = (
    TrialInitiated,
    FirstPatientDosed,
    CohortInitiated,
    EnrollmentCompleted,
    DataReported,
    RegulatoryFiling,
)
TYPES = tuple(cls.TYPE for cls in (GuidanceIssued, *_STATED, *_ACHIEVING))
_BOOK = msgspec.json.Decoder(list[GuidanceDoc])


class GuidanceTracker:
    name = "guidance-tracker"
    types = TYPES

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        books: dict[str, list[GuidanceDoc]] = {}
        for group in _by_release(events):
            for recorded, event, meta, metadata in group:
                if metadata.get("inferred_by") == TRACKER_VERSION:
                    continue  # our own conclusions, already in the book
                book = books.get(meta.company)
                if book is None:
                    raw = await uow.get_state(NAMESPACE, meta.company)
                    book = books[meta.company] = _BOOK.decode(raw) if raw else []
                for stream, new in self._react(book, recorded, event, meta, metadata, group):
                    await uow.append(stream, [new])
        await uow.put_states(NAMESPACE, ((k, msgspec.json.encode(b)) for k, b in books.items()))

    def _react(
        self,
        book: list[GuidanceDoc],
        recorded: RecordedEvent,
        event: TrialEvent,
        meta: Meta,
        metadata: dict[str, Any],
        group: list[_Item],
    ) -> list[tuple[str, NewEvent]]:
        if isinstance(event, GuidanceMoved):
            guidance.move(book, event, on=meta.on, release_id=meta.release_id)
            return []
        if isinstance(event, MilestoneAchieved):
            guidance.achieved(book, event, on=meta.on)
            return []
        if isinstance(event, GuidanceIssued):
            return self._issued(book, recorded, event, meta, metadata, group)
        key = achieved_key(event)
        if key is None or meta.on is None:
            return []
        open_guidance = guidance.find(book, key, open_only=True, loose=True, reached_on=meta.on)
        if open_guidance is None or open_guidance.period is None:
            return []
        verdict = versus_guidance(meta.on, open_guidance.period.period())
        guided = open_guidance.period
        guidance.achieve(
            book,
            key,
            milestone=open_guidance.milestone,
            drug=event.drug,
            on=meta.on,
            vs_guidance=verdict,
            guided=guided,
        )
        achieved = MilestoneAchieved(
            drug=event.drug,
            company=event.company,
            evidence=event.evidence,
            extractor_version=TRACKER_VERSION,
            milestone=open_guidance.milestone,
            vs_guidance=verdict,
            guided=guided.period(),
            achieved_on=meta.on,
        )
        new_id = event_id(achieved.TYPE, meta.company, open_guidance.key, meta.release_id)
        return [(recorded.stream, self._new(achieved, new_id, recorded, metadata, None))]

    def _issued(
        self,
        book: list[GuidanceDoc],
        recorded: RecordedEvent,
        event: GuidanceIssued,
        meta: Meta,
        metadata: dict[str, Any],
        group: list[_Item],
    ) -> list[tuple[str, NewEvent]]:
        key = milestone_key(event.milestone, event.drug)
        before = guidance.find(book, key, open_only=True)
        previous_release, previous_evidence = (
            (before.release_id, before.evidence) if before else ("", "")
        )
        entry, previous = guidance.issue(book, event, on=meta.on, release_id=meta.release_id)
        if previous is None:
            return []
        direction = compare_periods(previous, event.period)
        stated = any(
            isinstance(other, GuidanceMoved) and milestone_key(other.milestone, other.drug) == key
            for _, other, _, _ in group
        )
        same_release = previous_release == meta.release_id  # a release does not move itself
        if direction not in ("earlier", "later") or stated or same_release:
            return []
        moved = GuidanceMoved(
            drug=event.drug,
            company=event.company,
            evidence=event.evidence,
            extractor_version=TRACKER_VERSION,
            milestone=entry.milestone,
            period=event.period,
            previous=previous,
            direction=direction,
            basis="inferred",
        )
        guidance.move(book, moved, on=meta.on, release_id=meta.release_id)
        new_id = event_id(
            moved.TYPE, meta.company, key, previous.label, event.period.label, meta.release_id
        )
        earlier = {"previous_release_id": previous_release, "previous_evidence": previous_evidence}
        return [(recorded.stream, self._new(moved, new_id, recorded, metadata, earlier))]

    @staticmethod
    def _new(
        event: TrialEvent,
        new_id: Any,
        cause: RecordedEvent,
        metadata: dict[str, Any],
        extra: dict[str, str] | None,
    ) -> NewEvent:
        return NewEvent.from_domain(
            DOMAIN_EVENTS,
            event,
            event_id=new_id,
            occurred_at=cause.occurred_at,
            caused_by=cause.event_id,
            metadata={**metadata, **(extra or {}), "inferred_by": TRACKER_VERSION},
        )

    async def reset(self, uow: UnitOfWork) -> None:
        await uow.delete_state(NAMESPACE)
        await uow.save_checkpoint(self.name, 0)


_Item = tuple[RecordedEvent, TrialEvent, Meta, dict[str, Any]]


def _by_release(events: Sequence[RecordedEvent]) -> list[list[_Item]]:
    """Events grouped by the release that caused them, in log order; within a group
    what the release states (moves, achievements) comes before what it implies."""
    groups: dict[object, list[_Item]] = {}
    for recorded in events:
        event = DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
        assert isinstance(event, TrialEvent)
        metadata = msgspec.json.decode(recorded.metadata)
        groups.setdefault(recorded.raw_caused_by, []).append(
            (recorded, event, meta_of(recorded, event), metadata)
        )
    return [
        sorted(group, key=lambda item: 0 if isinstance(item[1], _STATED) else 1)
        for group in groups.values()
    ]
