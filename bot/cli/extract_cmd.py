"""``trialwire extract FILE... [--json] [--out DIR]``: the trial events in releases.

Reads release files (the corpus format: ``key: value`` headers, a ``---`` line,
the body; or plain text) and saved release pages (``.html``). Without
``--json`` it prints a table per release; with ``--json`` the events in the
corpus JSON schema; with ``--out DIR`` it writes ``DIR/<stem>.json`` for each
file, so a whole corpus is extracted in one process. A file that cannot be read
is reported and skipped (exit status 1); nothing prints a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.errors import TrialwireError
from bot.events.trial import TrialEvent
from bot.extract import extract as extract_events
from bot.extract import key_facts, to_corpus_release
from bot.extract.model import ReleaseInput
from bot.extract.sources import from_page, from_text
from bot.releases.page import parse_release_page

# A release file or page is tens of KB; a larger file is refused, not read.
MAX_FILE_BYTES = 20 * 1024 * 1024
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


class UnreadableRelease(TrialwireError):
    """A file given to ``extract`` cannot be read as a release."""


def read_release(path: Path) -> ReleaseInput:
    """A release from a file: a saved page by its suffix or its first bytes, else text."""
    try:
        if not path.is_file():
            raise UnreadableRelease(
                f"{path}: no such file" if not path.exists() else f"{path}: not a file"
            )
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableRelease(f"{path}: {size} bytes, more than a release ({MAX_FILE_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableRelease(f"{path}: {exc.strerror or exc}") from exc
    if b"\x00" in data[:4096]:
        raise UnreadableRelease(f"{path}: a binary file, not a release")
    head = data[:512].lstrip().lower()
    if path.suffix.lower() in _HTML_SUFFIXES or head.startswith((b"<!doctype html", b"<html")):
        return from_page(parse_release_page(data), path.stem)
    return from_text(data.decode("utf-8", errors="replace"), path.stem)


def _table(console: Console, name: str, events: list[TrialEvent]) -> None:
    if not events:
        console.print(f"[bold]{name}[/]: no trial events")
        return
    table = Table(title=name, title_justify="left", show_lines=True, expand=True)
    table.add_column("type", style="bold cyan", no_wrap=True)
    table.add_column("drug", style="green", max_width=18, overflow="fold")
    table.add_column("key facts", ratio=2, min_width=16, overflow="fold")
    table.add_column("evidence", ratio=3, min_width=24, overflow="fold")
    for event in events:
        evidence = " ".join(event.evidence.sentence.split())
        table.add_row(event.TYPE, event.drug or "-", key_facts(event), evidence)
    console.print(table)


def extract(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Release files (corpus format or plain text) or saved release pages (.html).",
            metavar="FILE...",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the events in the corpus JSON schema.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="Write DIR/<stem>.json for each file."),
    ] = None,
) -> None:
    """The clinical-trial events in press releases, each with the sentence that says so."""
    console = Console()
    errors = Console(stderr=True)
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            errors.print(f"[red]error:[/] cannot write to {out}: {exc.strerror or exc}")
            raise typer.Exit(2) from None
    failed = 0
    documents: list[dict[str, Any]] = []
    for path in files:
        try:
            release = read_release(path)
            events = extract_events(release)
        except TrialwireError as exc:
            errors.print(f"[red]error:[/] {exc}")
            failed += 1
            continue
        except Exception as exc:  # the last line of defence: a message, not a traceback
            errors.print(f"[red]error:[/] {path}: could not extract: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        document = to_corpus_release(path.stem, events)
        if out is not None:
            target = out / f"{path.stem}.json"
            try:
                target.write_text(
                    json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
                )
            except OSError as exc:
                errors.print(f"[red]error:[/] cannot write {target}: {exc.strerror or exc}")
                failed += 1
                continue
        elif as_json:
            documents.append(document)
        else:
            _table(console, path.stem, events)
    if out is not None:
        written = len(files) - failed
        errors.print(f"wrote {written} file{'s' if written != 1 else ''} to {out}")
    elif as_json:
        payload: Any = documents[0] if len(files) == 1 and documents else documents
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    if failed:
        raise typer.Exit(1)
