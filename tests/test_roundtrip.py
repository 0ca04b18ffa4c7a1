"""Generated reports parse back to their ground truth, in every format, cell for cell.

Each case is one generated file: `parse_file(path, synthetic=True).to_dict()` must
equal the `<stem>.json` written beside it (metadata, sections with offsets,
every figure key, money cells, and flag codes with where they point).
"""
from __future__ import annotations

import json

import pytest

from indexer.generate import FORMATS, generate_corpus
from indexer.parse import parse_file

from roundtrip_helpers import report_differences

PER_FORMAT = 8
SEED = 20
# Half the reports carry planted faults, so that the flags are exercised too.
FAULT_SHARE = 0.5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(PER_FORMAT * len(FORMATS), tmp_path_factory.mktemp("roundtrip"), seed=SEED,
                           fault_share=FAULT_SHARE)


CASES = [pytest.param(i, id=f"{FORMATS[i % len(FORMATS)]}-{i}") for i in range(PER_FORMAT * len(FORMATS))]


@pytest.mark.parametrize("index", CASES)
def test_parse_gives_the_ground_truth(corpus, index):
    path = corpus[index]
    want = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    got = parse_file(path, synthetic=True).to_dict()
    differences = report_differences(got, want)
    assert not differences, f"{path.name} ({want['agency']} {want['year']}):\n  " + "\n  ".join(differences)
