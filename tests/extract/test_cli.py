"""``trialwire extract``: tables, JSON, a folder of JSON files, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.extract.test_fixtures import FIXTURES

SEED = FIXTURES / "000_cellectar_clr131_cohort4_initiated.txt"
PAGE = FIXTURES.parent / "pages" / "000_cellectar_current_layout.html"
BANK = FIXTURES / "118_gbt_bancshares_2004_results.txt"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["extract", *args], env={"COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


def test_table() -> None:
    code, out, _ = run(str(SEED))
    assert code == 0
    for word in ("CohortInitiated", "DoseEscalated", "GuidanceMoved", "CLR 131", "31.25 mCi/m2"):
        assert word in out


def test_json_of_one_release_is_an_object() -> None:
    code, out, _ = run("--json", str(SEED))
    assert code == 0
    document = json.loads(out)
    assert document["release"] == SEED.stem
    assert {e["type"] for e in document["events"]} >= {"CohortInitiated", "GuidanceMoved"}


def test_json_of_several_releases_is_a_list(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text(SEED.read_text(encoding="utf-8").split("\n---\n", 1)[1], encoding="utf-8")
    code, out, _ = run("--json", str(SEED), str(PAGE), str(plain), str(BANK))
    assert code == 0
    documents = json.loads(out)
    assert [d["release"] for d in documents] == [SEED.stem, PAGE.stem, "plain", BANK.stem]
    seed, page, text, bank = ({(e["type"], e.get("drug")) for e in d["events"]} for d in documents)
    assert seed == page == text
    assert bank == set()


def test_out_writes_one_file_per_release(tmp_path: Path) -> None:
    out = tmp_path / "pred"
    code, stdout, stderr = run("--json", "--out", str(out), str(SEED), str(BANK))
    assert code == 0
    assert stdout == ""
    assert "wrote 2 files" in stderr
    written = json.loads((out / f"{SEED.stem}.json").read_text(encoding="utf-8"))
    assert written["release"] == SEED.stem
    assert written["events"]
    assert json.loads((out / f"{BANK.stem}.json").read_text(encoding="utf-8"))["events"] == []


def test_unreadable_files_are_reported_not_raised(tmp_path: Path) -> None:
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    code, out, err = run(str(tmp_path / "missing.txt"), str(tmp_path), str(binary), str(SEED))
    assert code == 1
    assert "missing.txt: no such file" in err
    assert "not a file" in err
    assert "binary file" in err
    assert "Traceback" not in out + err
    assert "CohortInitiated" in out  # the readable file is still extracted


def test_an_output_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run("--out", str(blocker / "sub"), str(SEED))
    assert code == 2
    assert "cannot write to" in err
