"""Every entry of corpus/real/expected.json (the hand-checked values of the real reports)
against what the parser makes of its file: bytes, metadata and the checked figures.

Where a document and expected.json disagree, the document wins and the departure is
listed here with the reason (tests/golden/NOTES.md, tests/golden_meta/NOTES.md tell why).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from indexer.parse import parse_file

REAL = Path(__file__).resolve().parent.parent / "corpus" / "real"
ENTRIES = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))
FIGURES = {
    "applications_new_total": "t3.new.total",
    "applications_carried_over_total": "t3.carried_over.total",
    "granted_total": "t3.granted.total",
    "total_handled": "t3.total.total",
    "carried_forward_total": "t3.carried_forward.total",
    "review_total": "t4.review.total",
    "litigation_direct_total": "t4.litigation_direct.total",
    "litigation_after_review_total": "t4.litigation_after_review.total",
    "procurement_count": "t2.procurement.count",
    "procurement_amount": "t2.procurement.amount_wan",
}
# (file, expected.json figure) -> the flag that keeps the cell null instead: the page
# prints count and amount run together with no sum to split them (tests/golden/NOTES.md).
DEPARTURES = {
    ("fj_pingtan_2019_page.txt", "procurement_count"): ("digits_ambiguous", "t2.procurement"),
    ("fj_pingtan_2019_page.txt", "procurement_amount"): ("digits_ambiguous", "t2.procurement"),
}


def _number(value):
    """expected.json writes money as text with its unit ('75394432.52元'); the report holds 万元."""
    if isinstance(value, str):
        amount = float(re.match(r"[\d.]+", value).group(0))
        return amount / 10000 if value.endswith("元") and not value.endswith("万元") else amount
    return value


@pytest.fixture(scope="module", params=ENTRIES, ids=[e["file"] for e in ENTRIES])
def entry_and_report(request):
    entry = request.param
    return entry, parse_file(REAL / entry["file"]).to_dict()


def test_file_is_the_recorded_copy(entry_and_report):
    entry, report = entry_and_report
    assert hashlib.sha256((REAL / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert report["source"]["format"] == entry["format"]


def test_metadata_matches(entry_and_report):
    entry, report = entry_and_report
    assert (report["agency"], report["year"], report["template"]) == (entry["agency"], entry["year"], entry["template"])
    if "published" in entry:
        assert report["published"] == entry["published"]
    if "original_url" in entry:
        assert report["source"]["url"] == entry["original_url"]
    for level, value in entry["region_detail"].items():
        if value is not None:  # null there means "not stated", which the text may still settle
            assert report["region"][level] == value.split(" (")[0], level


def test_checked_figures_match(entry_and_report):
    entry, report = entry_and_report
    flags = {(f["code"], f["where"]) for f in report["flags"]}
    for name, value in entry["figures"].items():
        key = FIGURES[name]
        departure = DEPARTURES.get((entry["file"], name))
        if departure:
            assert report["figures"][key] is None and departure in flags, name
        elif value is None:
            assert report["figures"][key] is None, name
        else:
            assert report["figures"][key] == pytest.approx(_number(value)), name
