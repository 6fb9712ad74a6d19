"""Rich views of the trial state, shared by the commands and the demo."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from handlers.documents import CompanyDoc, GuidanceDoc, TrialDoc


def render_company(doc: CompanyDoc) -> Panel:
    parts: list[RenderableType] = []
    if doc.last_release:
        release = doc.last_release
        parts.append(f"last release {release.published}: {release.title}\n[dim]{release.url}[/]")
    for drug in doc.drugs.values():
        table = Table(
            "phase",
            "indication",
            "status",
            "latest cohort",
            "escalations",
            "enrollment",
            "data",
            title=f"[bold]{drug.name}[/]" + (" (discontinued)" if drug.discontinued else ""),
            title_justify="left",
        )
        for trial in drug.trials:
            table.add_row(
                trial.phase or "?",
                trial.indication or "",
                trial.status,
                _cohort(trial),
                "\n".join(
                    f"{e.from_dose or '?'} → {e.to_dose}"
                    + (f" ({e.percent:+g} %)" if e.percent else "")
                    for e in trial.escalations
                ),
                f"{trial.patients or '?'} patients, {trial.enrolled_on}"
                if trial.enrolled_on
                else "",
                "\n".join(f"{d.kind or 'data'} {d.on}" for d in trial.data),
            )
        parts.append(table)
        extras = [f"{d.designation} ({d.agency or '?'}) {d.on}" for d in drug.designations]
        extras += [f"{f.filing or 'filing'} {f.action} {f.on}" for f in drug.filings]
        if extras:
            parts.append("  " + "; ".join(extras))
    if doc.guidance:
        table = Table(
            "milestone",
            "period",
            "moves",
            "achieved",
            title="[bold]guidance[/]",
            title_justify="left",
        )
        for guidance in doc.guidance:
            achieved = (
                f"{guidance.achieved_on} ({guidance.vs_guidance})" if guidance.achieved_on else ""
            )
            table.add_row(
                milestone(guidance), str(guidance.period or "–"), moves(guidance), achieved
            )
        parts.append(table)
    tickers = ", ".join(doc.tickers)
    return Panel(Group(*parts), title=f"{doc.name or doc.key} ({tickers})", title_align="left")


def _cohort(trial: TrialDoc) -> str:
    cohort = trial.latest_cohort()
    if cohort is None:
        return ""
    number = f"cohort {cohort.number}" if cohort.number is not None else "a cohort"
    return f"{number} {cohort.status}" + (f" at {cohort.dose}" if cohort.dose else "")


def milestone(guidance: GuidanceDoc) -> str:
    return f"{guidance.drug}: {guidance.milestone}" if guidance.drug else guidance.milestone


def moves(guidance: GuidanceDoc) -> str:
    """``2017-H2 → 2017-Q1 (earlier)``; an unstated end of the move is left out."""
    return "; ".join(
        " → ".join(str(p) for p in (m.previous, m.new) if p is not None) + f" ({m.direction})"
        for m in guidance.moves
    )
