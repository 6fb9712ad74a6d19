"""The crash test, once: the real daemon SIGKILLed at random moments, restarted each time.

    python bench/crash.py            # a table
    python bench/crash.py --json     # the table, then one JSON object as the last line

Releases arrive on the GlobeNewswire stand-in; the daemon is killed at
random moments among polls, page fetches, appends and projections, then
restarted; at the end it runs until quiet and the log is checked: every
release once, every fact once, every subscriber at the head.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.reliability.harness import crash_run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--releases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20170222)
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON object of the figures"
    )
    args = parser.parse_args()
    console = Console(stderr=args.json)
    with tempfile.TemporaryDirectory(prefix="trialwire-crash-") as tmp:
        report = asyncio.run(
            crash_run(
                Path(tmp), kills=args.kills, releases=args.releases, seed=args.seed, say=console.log
            )
        )
    figures = report.figures()
    table = Table(title="crash test: SIGKILL at random moments, restart, check")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, "–" if value is None else str(value))
    table.add_row(
        "kill points", ", ".join(f"{k} {v}" for k, v in sorted(report.kill_points.items()))
    )
    Console().print(table)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
