"""``trialwire status``, ``upcoming``, ``track-record`` and ``replay``: the trial state, in tables."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bot.cli.common import ConfigPath, settings_from
from bot.cli.views import milestone, moves, render_company
from bot.compose import open_event_log
from bot.eventlog import CatchUpSubscription, EventLog
from handlers.documents import CompanyDoc
from handlers.pipeline import (
    REPLAY_COMMIT_EVERY,
    REPLAY_PAGE_SIZE,
    catch_up,
    knowledge_subscribers,
)
from handlers.queries import near_matches, status, track_record, upcoming

console = Console()

Today = Annotated[
    datetime | None,
    typer.Option("--today", formats=["%Y-%m-%d"], help="Answer as of this date (default: today)."),
]


def _today(value: datetime | None) -> date:
    return value.date() if value else datetime.now(UTC).date()


def status_command(
    name: Annotated[
        str, typer.Argument(help="A ticker (CLRB, Nasdaq:CLRB), a drug (CLR 131) or a company.")
    ],
    config: ConfigPath = None,
) -> None:
    """Every trial of a company, or of the company behind a drug: phase, status, cohorts, guidance."""
    settings = settings_from(config)

    async def run() -> tuple[list[CompanyDoc], list[str]]:
        async with open_event_log(settings) as log:
            await catch_up(log)
            docs = await status(log, name)
            return docs, ([] if docs else await near_matches(log, name))

    docs, near = asyncio.run(run())
    if not docs:
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        console.print(f"Nothing known about {name!r}.{hint}")
        raise typer.Exit(1)
    for doc in docs:
        console.print(render_company(doc))


def upcoming_command(config: ConfigPath = None, today: Today = None) -> None:
    """The catalyst calendar: guided milestones still to come, soonest first, with their moves."""
    settings = settings_from(config)
    as_of = _today(today)

    async def run() -> Table:
        async with open_event_log(settings) as log:
            await catch_up(log)
            entries = await upcoming(log, as_of)
        table = Table(
            "window",
            "company",
            "drug",
            "milestone",
            "guided",
            "moves",
            title=f"upcoming as of {as_of}",
        )
        for entry in entries:
            table.add_row(
                f"{entry.window[0]:%Y-%m} … {entry.window[1]:%Y-%m}",
                entry.company,
                entry.guidance.drug or "",
                entry.guidance.milestone,
                str(entry.guidance.period),
                moves(entry.guidance),
            )
        return table

    console.print(asyncio.run(run()))


def track_record_command(
    name: Annotated[str, typer.Argument(help="A ticker or company.")],
    config: ConfigPath = None,
    today: Today = None,
) -> None:
    """How a company kept its guidance: ahead, on time, late, and still open past its period."""
    settings = settings_from(config)
    as_of = _today(today)

    async def run() -> list[CompanyDoc]:
        async with open_event_log(settings) as log:
            await catch_up(log)
            return await status(log, name)

    docs = asyncio.run(run())
    if not docs:
        console.print(f"Nothing known about {name!r}.")
        raise typer.Exit(1)
    for doc in docs:
        record = track_record(doc, as_of)
        console.print(
            f"[bold]{doc.name or doc.key}[/] as of {as_of}: {len(record.ahead)} ahead, "
            f"{len(record.on_time)} on time, {len(record.late)} late, "
            f"{len(record.overdue)} overdue, {len(record.open)} open; "
            f"moved later {record.moved_later}×, earlier {record.moved_earlier}×"
        )
        table = Table("milestone", "guided", "outcome", "moves")
        rows = [
            ("ahead", record.ahead),
            ("on time", record.on_time),
            ("late", record.late),
            ("overdue", record.overdue),
            ("open", record.open),
        ]
        for label, items in rows:
            for guidance in items:
                table.add_row(
                    milestone(guidance),
                    str(guidance.guided_when_achieved or guidance.period or "–"),
                    label,
                    moves(guidance),
                )
        console.print(table)


def replay_command(config: ConfigPath = None) -> None:
    """Drop the trial state and the tracker's books and rebuild them from the log."""
    settings = settings_from(config)

    async def run() -> None:
        async with open_event_log(settings) as log:
            await _replay(log)

    asyncio.run(run())
    console.print("replayed: the trial state is rebuilt from the log.")


async def _replay(log: EventLog) -> None:
    subscribers = knowledge_subscribers()
    last = await log.last_position()
    async with log.transaction() as uow:
        for subscriber in subscribers:
            reset = getattr(subscriber, "reset", None)
            if reset is not None:
                await reset(uow)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        for subscriber in subscribers:
            task = bar.add_task(subscriber.name, total=last)

            def show(position: int, task: TaskID = task) -> None:
                bar.update(task, completed=min(position, last))

            run = CatchUpSubscription(
                log, subscriber, page_size=REPLAY_PAGE_SIZE, commit_every=REPLAY_COMMIT_EVERY
            )
            while await run.catch_up(show):
                continue  # a running daemon appended more meanwhile
            bar.update(task, completed=last)


def reextract_command(config: ConfigPath = None) -> None:
    """Re-read every stored release with the current extractor; append only new facts, as history."""
    from handlers.extraction import reextract

    settings = settings_from(config)

    async def run() -> int:
        async with open_event_log(settings) as log:
            with Progress(
                TextColumn("releases"), BarColumn(), MofNCompleteColumn(), console=console
            ) as bar:
                task = bar.add_task("releases", total=None)
                return await reextract(
                    log, lambda done, total: bar.update(task, completed=done, total=total)
                )

    appended = asyncio.run(run())
    console.print(f"{appended} new events appended as history (never alerted).")
