"""Golden figures of every corpus file: template, EVERY figure key, money cells' raw text,
and the table / consistency flags, compared key by key.

The goldens (tests/golden/<file stem>.json) were written by reading each document
(see tests/golden/NOTES.md for where they depart from corpus/real/expected.json).
Regenerate only on purpose: XXGK_REGEN_GOLDEN=1 pytest tests/test_golden.py, then
review the diff by hand before keeping it. Other helpers may add keys (metadata …)
to the same files; this test reads only "template", "figures", "cells" (money cells' raw text), "flags".
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.figure_keys import MONEY_KEYS, figure_keys
from indexer.parse import parse_file

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
# Every real report corpus/real/expected.json lists has a golden: a new entry cannot go unchecked.
REAL_ENTRIES = json.loads((ROOT / "corpus" / "real" / "expected.json").read_text(encoding="utf-8"))
FILES = sorted((ROOT / "corpus" / "seeds").glob("*.txt")) + sorted(
    ROOT / "corpus" / "real" / entry["file"] for entry in REAL_ENTRIES)
TABLE_FLAG_CODES = {"template_unknown", "missing_table_2", "missing_table_3", "missing_table_4",
                    "digits_ambiguous", "rows_unaligned", "rows_merged", "rows_missing", "cell_unreadable",
                    "unit_assumed",
                    "t3_balance", "t3_outcomes", "t3_row_total", "t4_total", "blank_cells"}
REGEN = os.environ.get("XXGK_REGEN_GOLDEN") == "1"


def report_to_golden(report) -> dict:
    """The part of a canonical report the table goldens pin down."""
    return {
        "template": report.template,
        "figures": report.figures,
        "cells": {k: {"raw": report.cells.get(k, {}).get("raw")} for k in sorted(MONEY_KEYS) if k in report.figures},
        "flags": sorted(({"code": f.code, "where": f.where} for f in report.flags if f.code in TABLE_FLAG_CODES),
                        key=lambda f: (f["code"], f["where"] or "")),
    }


def diff_golden(expected: dict, actual: dict) -> list[str]:
    """Readable differences, one line per key."""
    lines = []
    if expected["template"] != actual["template"]:
        lines.append(f"template: expected {expected['template']!r}, got {actual['template']!r}")
    for section in ("figures", "cells"):
        want, got = expected[section], actual[section]
        for key in sorted(set(want) | set(got)):
            if key not in got:
                lines.append(f"{section}.{key}: missing (expected {want[key]!r})")
            elif key not in want:
                lines.append(f"{section}.{key}: unexpected key (got {got[key]!r})")
            elif want[key] != got[key] or type(want[key]) is not type(got[key]) and None in (want[key], got[key]):
                lines.append(f"{section}.{key}: expected {want[key]!r}, got {got[key]!r}")
    want_flags = {(f["code"], f["where"]) for f in expected["flags"]}
    got_flags = {(f["code"], f["where"]) for f in actual["flags"]}
    lines += [f"flag missing: {c} @ {w}" for c, w in sorted(want_flags - got_flags, key=str)]
    lines += [f"flag unexpected: {c} @ {w}" for c, w in sorted(got_flags - want_flags, key=str)]
    return lines


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_figures(path: Path):
    actual = report_to_golden(parse_file(path))
    golden_path = GOLDEN / f"{path.stem}.json"
    if REGEN:
        data = json.loads(golden_path.read_text(encoding="utf-8")) if golden_path.exists() else {}
        data.update(actual)
        golden_path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(golden_path.read_text(encoding="utf-8"))
    problems = diff_golden(expected, actual)
    assert not problems, f"{path.name} differs from its golden:\n" + "\n".join(problems)


def test_every_golden_covers_every_key_of_its_template():
    for path in FILES:
        data = json.loads((GOLDEN / f"{path.stem}.json").read_text(encoding="utf-8"))
        assert list(data["figures"]) == figure_keys(data["template"]), path.name
