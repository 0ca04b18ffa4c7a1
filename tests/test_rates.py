"""Rates (docs/report-format.md#rates): each computed by hand from the goldens' figures, null where
the denominator is 0 or blank, and usable as aliases are: comparisons, sorting, facets, stats, export."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from indexer.aliases import ALIASES, RATES, report_aliases
from indexer.export import export_columns, records_to_csv, report_to_record
from indexer.parse import parse_file
from indexer.search import on_request_facets, rate_bucket_tokens, search, search_ids, stats
from search_helpers import build_index

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_figures(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))["figures"]


def test_pingtan_2024_rates_by_hand():
    f = golden_figures("fj_pingtan_2024_page")
    handled = f["t3.total.total"]                                   # （七）总计 = 218
    assert handled == 218
    rates = report_aliases(f)
    assert rates["grant_rate"] == round(f["t3.granted.total"] / handled, 6)             # 71 / 218
    assert rates["grant_rate"] == round(71 / 218, 6)
    assert rates["partial_rate"] == round(f["t3.partial.total"] / handled, 6)
    denied = sum(f[f"t3.denied.{r}.total"] for r in ("state_secret", "law_prohibited", "safety_stability",
                                                      "third_party", "internal_affairs", "process_info",
                                                      "enforcement_file", "query_matter"))
    assert rates["denial_rate"] == round(denied / handled, 6)
    unable = sum(f[f"t3.unable.{r}.total"] for r in ("not_held", "needs_creation", "unclear"))
    assert rates["unable_rate"] == round(unable / handled, 6)
    rejected = sum(f[f"t3.rejected.{r}.total"] for r in ("complaint", "duplicate", "publication", "mass_repeat",
                                                          "confirm_reissue"))
    assert rates["rejected_rate"] == round(rejected / handled, 6)
    # 复议: corrected / total = 1 / 7
    assert (f["t4.review.corrected"], f["t4.review.total"]) == (1, 7)
    assert rates["correction_rate"] == round(1 / 7, 6)
    # 诉讼: (direct corrected + after-review corrected) / (direct total + after-review total)
    litigation = f["t4.litigation_direct.total"] + f["t4.litigation_after_review.total"]
    lost = f["t4.litigation_direct.corrected"] + f["t4.litigation_after_review.corrected"]
    assert litigation == 19
    assert rates["litigation_loss_rate"] == round(lost / litigation, 6)
    # 结转下年 / (新收 + 上年结转)
    assert rates["carry_forward_share"] == round(
        f["t3.carried_forward.total"] / (f["t3.new.total"] + f["t3.carried_over.total"]), 6)


def test_kewei_2024_rates_by_hand():
    f = golden_figures("sh_kewei_2024_source")
    rates = report_aliases(f)
    assert rates["grant_rate"] == round(9 / 35, 6) == round(f["t3.granted.total"] / f["t3.total.total"], 6)
    assert rates["correction_rate"] == 0.0                  # 0 corrected of 1 review: a real 0
    assert f["t4.review.total"] == 1 and f["t4.review.corrected"] == 0
    # no litigation at all: 0 / 0 is unknown, not 0
    assert f["t4.litigation_direct.total"] == 0 and f["t4.litigation_after_review.total"] == 0
    assert rates["litigation_loss_rate"] is None
    # 结转下年 total left blank: the row total falls back to the sum of its applicant cells (1)
    assert f["t3.carried_forward.total"] is None
    carried_forward = sum(f[f"t3.carried_forward.{c}"] for c in ("natural", "commercial", "research", "social",
                                                                 "legal", "other_org"))
    assert carried_forward == 1
    assert rates["carry_forward_share"] == round(carried_forward / (f["t3.new.total"] + f["t3.carried_over.total"]), 6)
    assert rates["carry_forward_share"] == round(1 / 36, 6)


def test_every_rate_is_null_when_the_denominator_is_zero():
    f = golden_figures("000_7eb9f2b2a221df7d")        # 市中区信访局 2020: no application at all
    assert f["t3.total.total"] == 0 and f["t4.review.total"] == 0
    assert {rate: report_aliases(f)[rate] for rate in RATES} == dict.fromkeys(RATES)


def test_a_blank_denominator_or_numerator_gives_null_never_zero():
    f = dict(golden_figures("fj_pingtan_2022_page"))
    assert report_aliases(f)["grant_rate"] == round(21 / 75, 6)
    blank_total = {**f, "t3.total.total": None, **{k: None for k in f if k.startswith("t3.total.")}}
    assert report_aliases(blank_total)["grant_rate"] is None
    blank_granted = {**f, **{k: None for k in f if k.startswith("t3.granted.")}}
    assert report_aliases(blank_granted)["grant_rate"] is None
    blank_corrected = {**f, "t4.litigation_after_review.corrected": None}
    assert report_aliases(blank_corrected)["litigation_loss_rate"] is None
    blank_carried_over = {**f, **{k: None for k in f if k.startswith("t3.carried_over.")}}
    assert report_aliases(blank_carried_over)["carry_forward_share"] is None


# -- rates in the index: a known corpus (the five seeds and five real reports, parsed) ----------

@pytest.fixture(scope="module")
def parsed(corpus_files, config):
    return [parse_file(path, config) for path in corpus_files]


@pytest.fixture(scope="module")
def index(parsed):
    return build_index(None, parsed)


def _rate(report, rate):
    return report_aliases(report.figures)[rate]


def test_rate_comparisons_select_what_the_figures_say(index, parsed):
    expected = {r.id for r in parsed if _rate(r, "grant_rate") is not None and _rate(r, "grant_rate") < 0.3}
    assert expected and expected != {r.id for r in parsed}
    assert set(search_ids(index, "grant_rate<0.3")) == expected
    with_review = {r.id for r in parsed if _rate(r, "correction_rate") is not None}
    assert set(search_ids(index, "correction_rate>=0")) == with_review
    # a null rate never matches, != included
    assert set(search_ids(index, "litigation_loss_rate!=0.5")) == {
        r.id for r in parsed if _rate(r, "litigation_loss_rate") not in (None, 0.5)}


def test_sorting_by_a_rate_puts_blanks_last(index, parsed):
    hits = search(index, "", sort="-grant_rate", per_page=100)["hits"]
    values = [h["figures"]["grant_rate"] for h in hits]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=True) and len(known) >= 2
    assert values == known + [None] * (len(values) - len(known))


def test_rate_facets_count_buckets(index, parsed):
    facets = search(index, "", rates=True)["facets"]
    grant = [_rate(r, "grant_rate") for r in parsed if _rate(r, "grant_rate") is not None]
    assert sum(facets["grant_rate"].values()) == len(grant)
    # 0.28 (平潭 2022: 21/75) and 0.257143 (上海科委 2024: 9/35) fall in [0.2, 0.3)
    assert facets["grant_rate"]["0.2..0.3"] == sum(1 for v in grant if 0.2 <= v < 0.3) == 2
    for key, count in facets["grant_rate"].items():
        assert len(search_ids(index, " ".join(rate_bucket_tokens("grant_rate", key)))) == count


def test_stats_give_means_medians_and_the_distribution(index, parsed):
    result = stats(index, "")
    assert sum(1 for g in result["per_year"].values() if g["means"]["grant_rate"] is not None) >= 3
    for year, group in result["per_year"].items():
        values = [_rate(r, "grant_rate") for r in parsed if str(r.year) == year]
        values = [v for v in values if v is not None]
        if not values:
            assert group["means"]["grant_rate"] is None and group["medians"]["grant_rate"] is None
            continue
        assert group["means"]["grant_rate"] == round(sum(values) / len(values), 4)
        if len(values) <= 2:                          # exact medians for up to two values
            assert group["medians"]["grant_rate"] == round(sum(values) / len(values), 4)
        assert group["sums"]["grant_rate"] is None    # a sum of rates means nothing
    assert result["rates"]["grant_rate"] == search(index, "", rates=True)["facets"]["grant_rate"]


def test_rate_facets_are_counted_only_when_asked(index):
    plain, asked = search(index, "")["facets"], search(index, "", rates=True)["facets"]
    assert not any(rate in plain for rate in RATES)
    assert {name: counts for name, counts in asked.items() if name not in RATES} == plain
    later = on_request_facets(index, "")
    assert asked["grant_rate"] and {rate: later[rate] for rate in RATES} == {rate: asked[rate] for rate in RATES}
    both = search(index, "", rates=True, agencies=True)["facets"]
    assert both["agency"] == later["agency"] and "agency" not in asked
    # the memo keeps the two apart: asking again without rates still leaves them out
    assert not any(rate in search(index, "")["facets"] for rate in RATES)
    narrowed = on_request_facets(index, "grant_rate>=0.2 grant_rate<0.3")
    assert narrowed["grant_rate"] == {"0.2..0.3": 2}


def test_rates_are_export_columns(parsed):
    columns = export_columns()
    assert all(rate in columns for rate in RATES)
    pingtan = next(r for r in parsed if r.source and "pingtan_2022" in str(r.source.get("path")))
    rows = list(csv.DictReader(io.StringIO(records_to_csv(iter([report_to_record(pingtan)])).decode("utf-8-sig"))))
    assert float(rows[0]["grant_rate"]) == round(21 / 75, 6)
    blank = next(r for r in parsed if _rate(r, "grant_rate") is None)
    rows = list(csv.DictReader(io.StringIO(records_to_csv(iter([report_to_record(blank)])).decode("utf-8-sig"))))
    assert rows[0]["grant_rate"] == ""


def test_every_alias_of_every_corpus_report_is_what_its_own_definition_gives(parsed):
    # report_aliases computes each count once and gives the rates those values
    for report in parsed:
        assert report_aliases(report.figures) == {name: value(report.figures) for name, (_, value) in ALIASES.items()}
    assert any(report_aliases(r.figures)["grant_rate"] is not None for r in parsed)
