"""The trial state: per company, per drug, per trial, folded from the log.

``fold(doc, event, meta)`` is pure: no I/O, no clock; it updates the
company's document from one event. ``TrialStateProjection`` is the catch-up
subscriber that runs it: it folds pages into documents held in memory and
writes each one it touched once, in ``flush``, in the unit of work that also
stores its checkpoint, so a query reads a stored document instead of
replaying, and dropping the state and replaying gives the same documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec

from bot.eventlog import RecordedEvent, UnitOfWork
from bot.events import DOMAIN_EVENTS, DomainEvent, ReleaseReceived
from bot.events.trial import (
    TRIAL_EVENT_TYPES,
    ClinicalHold,
    CohortCompleted,
    CohortEnrolled,
    CohortInitiated,
    DataReported,
    DoseEscalated,
    EnrollmentCompleted,
    FirstPatientDosed,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    RecommendedDoseSet,
    RegulatoryDesignation,
    RegulatoryFiling,
    TrialCleared,
    TrialDiscontinued,
    TrialEvent,
    TrialInitiated,
    drug_key,
)
from handlers import guidance
from handlers.documents import (
    DECODER,
    ENCODER,
    CohortDoc,
    CompanyDoc,
    DataDoc,
    DesignationDoc,
    DoseDoc,
    DrugDoc,
    EscalationDoc,
    FilingDoc,
    ReleaseRef,
    TrialDoc,
)
from handlers.identity import company_key, name_key
from handlers.milestones import phase_label

NAMESPACE = "trial-state"
# The state is a summary: it keeps the latest entries of each history (the log keeps all).
HISTORY = 20
HOLD_HISTORY = 10
RECENT = 8
ALIASES = "trial-aliases"
# Company documents kept in memory between commits (a full one is ~50 KB); beyond that
# the projection reloads documents from the store.
CACHE_DOCS = 2_000
TYPES = (ReleaseReceived.TYPE, *(cls.TYPE for cls in TRIAL_EVENT_TYPES))


class Meta(NamedTuple):
    """What the fold needs from the envelope (the release id is read only when asked)."""

    company: str
    on: date | None
    position: int
    metadata: bytes = b"{}"
    release: str = ""

    @property
    def release_id(self) -> str:
        if self.release or self.metadata == b"{}":
            return self.release
        return str(msgspec.json.decode(self.metadata).get("release_id", ""))


# -- the fold ----------------------------------------------------------------------


def fold(doc: CompanyDoc, event: DomainEvent, meta: Meta) -> None:
    """Apply one event to the company's document."""
    doc.events += 1
    if isinstance(event, ReleaseReceived):
        _release(doc, event)
        return
    assert isinstance(event, TrialEvent)
    handler = _FOLDS.get(type(event))
    if handler is not None:
        handler(doc, event, meta)


def _release(doc: CompanyDoc, release: ReleaseReceived) -> None:
    doc.name = release.company or doc.name
    doc.tickers = list(dict.fromkeys([*doc.tickers, *release.tickers]))
    doc.releases += 1
    published = release.published_at.date()
    if doc.last_release is None or (doc.last_release.published or date.min) <= published:
        doc.last_release = ReleaseRef(
            release_id=release.release_id, title=release.title, url=release.url, published=published
        )


_drug_key = lru_cache(maxsize=8192)(drug_key)


def _drug(doc: CompanyDoc, name: str | None) -> DrugDoc:
    key = _drug_key(name)
    found = doc.drugs.get(key)
    if found is None:
        found = doc.drugs[key] = DrugDoc(key=key, name=name or "(unnamed)")
    return found


def _trial(
    doc: CompanyDoc,
    event: TrialEvent,
    meta: Meta,
    *,
    phase: str | None = None,
    indication: str | None = None,
) -> TrialDoc:
    """The trial an event is about: by phase; without one, the drug's latest trial."""
    drug = _drug(doc, event.drug)
    label = phase_label(phase) if phase else ""
    trial: TrialDoc | None = None
    if label:
        unnamed = None
        for candidate in drug.trials:
            if candidate.phase == label:
                trial = candidate
                break
            if candidate.phase == "":
                unnamed = candidate
        if trial is None and unnamed is not None:
            trial = unnamed  # the trial is named at last
            trial.phase = label
    else:
        for candidate in drug.trials:
            if trial is None or candidate.updated_seq > trial.updated_seq:
                trial = candidate
    if trial is None:
        trial = TrialDoc(phase=label)
        drug.trials.append(trial)
    if indication and not trial.indication:
        trial.indication = indication
    trial.updated_seq = meta.position
    trial.updated_on = meta.on
    return trial


def _cohort(trial: TrialDoc, number: int | None) -> CohortDoc:
    if number is not None:
        for cohort in trial.cohorts:
            if cohort.number == number:
                return cohort
    cohort = CohortDoc(number=number)
    trial.cohorts = [*trial.cohorts[-(HISTORY - 1) :], cohort]
    return cohort


def _started(doc: CompanyDoc, event: TrialInitiated | FirstPatientDosed, meta: Meta) -> None:
    trial = _trial(doc, event, meta, phase=event.phase, indication=event.indication)
    if trial.status in ("planned", "cleared"):
        trial.status = "recruiting"
    trial.started_on = trial.started_on or meta.on


def _cohort_initiated(doc: CompanyDoc, event: CohortInitiated, meta: Meta) -> None:
    trial = _trial(doc, event, meta, phase=event.phase, indication=event.indication)
    cohort = _cohort(trial, event.cohort)
    cohort.dose = DoseDoc.of(event.dose) or cohort.dose
    cohort.initiated_on = cohort.initiated_on or meta.on
    if trial.status in ("planned", "cleared"):
        trial.status = "recruiting"


def _cohort_enrolled(doc: CompanyDoc, event: CohortEnrolled, meta: Meta) -> None:
    cohort = _cohort(_trial(doc, event, meta, phase=event.phase), event.cohort)
    cohort.dose = cohort.dose or DoseDoc.of(event.dose)
    if cohort.status == "initiated":
        cohort.status = "enrolled"


def _cohort_completed(doc: CompanyDoc, event: CohortCompleted, meta: Meta) -> None:
    cohort = _cohort(_trial(doc, event, meta, phase=event.phase), event.cohort)
    cohort.dose = cohort.dose or DoseDoc.of(event.dose)
    cohort.status = "completed"
    cohort.outcome = event.outcome or cohort.outcome
    cohort.completed_on = meta.on


def _escalated(doc: CompanyDoc, event: DoseEscalated, meta: Meta) -> None:
    trial = _trial(doc, event, meta)
    to_dose = DoseDoc.of(event.to_dose)
    assert to_dose is not None
    # A fact restated by a later release sits among the latest entries.
    if any(e.to_dose == to_dose and e.cohort == event.cohort for e in trial.escalations[-RECENT:]):
        return
    escalation = EscalationDoc(
        cohort=event.cohort,
        to_dose=to_dose,
        from_dose=DoseDoc.of(event.from_dose),
        percent=event.percent,
        consistent=event.consistent,
        on=meta.on,
    )
    trial.escalations = [*trial.escalations[-(HISTORY - 1) :], escalation]
    trial.escalations_total += 1
    if event.cohort is not None:
        cohort = _cohort(trial, event.cohort)
        cohort.dose = cohort.dose or to_dose


def _enrolled(doc: CompanyDoc, event: EnrollmentCompleted, meta: Meta) -> None:
    trial = _trial(doc, event, meta, phase=event.phase)
    if trial.status not in ("on hold", "discontinued"):
        trial.status = "enrolled"
    trial.enrolled_on = meta.on
    trial.patients = event.patients or trial.patients


def _data(doc: CompanyDoc, event: DataReported, meta: Meta) -> None:
    trial = _trial(doc, event, meta, phase=event.phase)
    if any(d.kind == event.kind and d.on == meta.on for d in trial.data[-RECENT:]):
        return
    report = DataDoc(
        kind=event.kind,
        on=meta.on,
        endpoints=list(event.endpoints),
        sentence=event.evidence.sentence,
    )
    trial.data = [*trial.data[-(HISTORY - 1) :], report]
    trial.data_total += 1


def _cleared(doc: CompanyDoc, event: TrialCleared, meta: Meta) -> None:
    trial = _trial(doc, event, meta, phase=event.phase)
    trial.cleared_on = meta.on
    if trial.status == "planned":
        trial.status = "cleared"


def _hold(doc: CompanyDoc, event: ClinicalHold, meta: Meta) -> None:
    trial = _trial(doc, event, meta)
    if event.action == "placed":
        if trial.status != "on hold":
            trial.status_before_hold = trial.status
        trial.status = "on hold"
        note = f"placed {meta.on}" + (" (partial)" if event.partial else "")
    else:
        trial.status = trial.status_before_hold or "recruiting"
        trial.status_before_hold = None
        note = f"lifted {meta.on}"
    if not trial.holds or trial.holds[-1] != note:
        trial.holds = [*trial.holds, note][-HOLD_HISTORY:]


def _discontinued(doc: CompanyDoc, event: TrialDiscontinued, meta: Meta) -> None:
    if event.phase:
        trial = _trial(doc, event, meta, phase=event.phase)
        trial.status, trial.discontinued_reason = "discontinued", event.reason
        return
    drug = _drug(doc, event.drug)
    drug.discontinued = True
    for trial in drug.trials or [_trial(doc, event, meta)]:
        trial.status, trial.discontinued_reason = "discontinued", event.reason


def _recommended(doc: CompanyDoc, event: RecommendedDoseSet, meta: Meta) -> None:
    _trial(doc, event, meta).recommended_dose = DoseDoc.of(event.dose)


def _designation(doc: CompanyDoc, event: RegulatoryDesignation, meta: Meta) -> None:
    drug = _drug(doc, event.drug)
    if not any(
        d.designation == event.designation and d.agency == event.agency for d in drug.designations
    ):
        drug.designations.append(
            DesignationDoc(
                designation=event.designation,
                agency=event.agency,
                indication=event.indication,
                on=meta.on,
            )
        )


def _filing(doc: CompanyDoc, event: RegulatoryFiling, meta: Meta) -> None:
    drug = _drug(doc, event.drug)
    if not any(f.action == event.action and f.filing == event.filing for f in drug.filings):
        drug.filings.append(
            FilingDoc(
                action=event.action,
                filing=event.filing,
                on=meta.on,
                decision_date=event.decision_date,
            )
        )


def _guidance_issued(doc: CompanyDoc, event: GuidanceIssued, meta: Meta) -> None:
    guidance.issue(doc.guidance, event, on=meta.on, release_id=meta.release_id)


def _guidance_moved(doc: CompanyDoc, event: GuidanceMoved, meta: Meta) -> None:
    guidance.move(doc.guidance, event, on=meta.on, release_id=meta.release_id)


def _milestone(doc: CompanyDoc, event: MilestoneAchieved, meta: Meta) -> None:
    guidance.achieved(doc.guidance, event, on=meta.on)


_FOLDS: dict[type, Callable[[CompanyDoc, Any, Meta], None]] = {
    TrialInitiated: _started,
    FirstPatientDosed: _started,
    CohortInitiated: _cohort_initiated,
    CohortEnrolled: _cohort_enrolled,
    CohortCompleted: _cohort_completed,
    DoseEscalated: _escalated,
    EnrollmentCompleted: _enrolled,
    DataReported: _data,
    TrialCleared: _cleared,
    ClinicalHold: _hold,
    TrialDiscontinued: _discontinued,
    RecommendedDoseSet: _recommended,
    RegulatoryDesignation: _designation,
    RegulatoryFiling: _filing,
    GuidanceIssued: _guidance_issued,
    GuidanceMoved: _guidance_moved,
    MilestoneAchieved: _milestone,
}


def aliases(doc: CompanyDoc) -> list[str]:
    """Names a user may ask for: tickers (with and without exchange), the name, drug keys."""
    names = {doc.key.upper()}
    for ticker in doc.tickers:
        names.add(ticker.upper().replace(" ", ""))
        names.add(ticker.rpartition(":")[2].strip().upper())
    if doc.name:
        names.add("name:" + name_key(doc.name))
    names.update("drug:" + key for key in doc.drugs if key)
    return sorted(names)


# -- the projection --------------------------------------------------------------


def meta_of(recorded: RecordedEvent, event: DomainEvent) -> Meta:
    if isinstance(event, ReleaseReceived):
        return Meta(
            company=company_key(event.tickers, event.company),
            on=event.published_at.date(),
            position=recorded.position,
            release=event.release_id,
        )
    occurred = recorded.occurred_us
    on = None if occurred is None else _day(occurred // _DAY_US)
    # tuple.__new__ builds the NamedTuple in C: this runs once per event of a replay.
    return _new_tuple(
        Meta, (_company_of(recorded.stream), on, recorded.position, recorded.metadata, "")
    )


_new_tuple = tuple.__new__


@lru_cache(maxsize=65536)
def _company_of(stream: str) -> str:
    """``trial:CLRB:CLR131`` → ``CLRB`` (a replay reads the same streams again and again)."""
    return stream.split(":", 2)[1] if stream.startswith(("trial:", "company:")) else "unknown"


@lru_cache(maxsize=4096)
def _day(days: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + days)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_US = 86_400_000_000


class TrialStateProjection:
    """Keeps ``trial-state`` (a document per company) and ``trial-aliases`` up to date."""

    name = "trial-state"
    types = TYPES

    def __init__(self, *, cache_docs: int = CACHE_DOCS) -> None:
        self._docs: dict[str, CompanyDoc] = {}
        self._aliases: dict[str, list[str]] = {}
        self._dirty: set[str] = set()  # folded since the last flush
        self.cache_docs = cache_docs

    def discard(self) -> None:
        """The page's transaction failed: forget what was folded in memory."""
        self._docs.clear()
        self._aliases.clear()
        self._dirty.clear()

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        decode = DOMAIN_EVENTS.decode
        docs, dirty = self._docs, self._dirty
        for recorded in events:
            event = decode(recorded.type, recorded.schema_version, recorded.data)
            meta = meta_of(recorded, event)
            doc = docs.get(meta.company)
            if doc is None:
                doc = await self._load(uow, meta.company)
            dirty.add(meta.company)
            fold(doc, event, meta)

    async def flush(self, uow: UnitOfWork) -> None:
        """Write every document folded since the last flush, once, with its aliases."""
        touched = [self._docs[key] for key in sorted(self._dirty)]
        await uow.put_states(NAMESPACE, [(doc.key, ENCODER.encode(doc)) for doc in touched])
        await self._index(uow, touched)
        self._dirty.clear()
        if len(self._docs) > self.cache_docs:  # keep the ones just touched; reload the rest
            self._docs = {doc.key: doc for doc in touched[-self.cache_docs :]}
            self._aliases.clear()

    async def _load(self, uow: UnitOfWork, key: str) -> CompanyDoc:
        doc = self._docs.get(key)
        if doc is None:
            raw = await uow.get_state(NAMESPACE, key)
            doc = DECODER.decode(raw) if raw is not None else CompanyDoc(key=key)
            self._docs[key] = doc
        return doc

    async def _index(self, uow: UnitOfWork, docs: Iterable[CompanyDoc]) -> None:
        """Point every alias of the touched companies at them (aliases only ever grow)."""
        changed: dict[str, list[str]] = {}
        for doc in docs:
            for alias in aliases(doc):
                owners = self._aliases.get(alias)
                if owners is None:
                    raw = await uow.get_state(ALIASES, alias)
                    owners = list(msgspec.json.decode(raw)) if raw else []
                    self._aliases[alias] = owners
                if doc.key not in owners:
                    owners.append(doc.key)
                    changed[alias] = owners
        if changed:
            await uow.put_states(ALIASES, ((a, msgspec.json.encode(o)) for a, o in changed.items()))

    async def reset(self, uow: UnitOfWork) -> None:
        """Drop the stored state (a replay rebuilds it)."""
        await uow.delete_state(NAMESPACE)
        await uow.delete_state(ALIASES)
        await uow.save_checkpoint(self.name, 0)
        self.discard()
