"""Index documents made ahead (``index.prepare``, in the parse workers) and the tokenizer's exact output.

The tokenizer's fast paths (per-word caches, one pass without a sort) are
checked against the plain version they replaced, on every text of the seed and
real reports: the index and the query side must keep producing the very same
tokens, or phrase and word queries would stop matching documents indexed before.
"""
from __future__ import annotations

import pickle
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest
import tantivy

from indexer.index import PreparedDoc, ReportIndex, decode_hit, prepare, prepared_to_document
from indexer.parse import parse_file
from indexer.query import Plan, plan_to_query
from indexer.report import Section
from indexer.tokenize import (_jieba, char_units, normalize, normalized_phrase_slots, phrase_slots, python_phrase_slots,
                              unit_columns, word_spans, words_text)

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "corpus" / "seeds").glob("*.txt"), *(ROOT / "corpus" / "real").glob("*.txt"),
                *(p for p in (ROOT / "corpus" / "real").glob("*.md") if p.name != "README.md"),
                *(ROOT / "corpus" / "real").glob("*.pdf")])

# Texts the reports may not hold: folding, mixed ASCII and Chinese, control characters, astral characters.
ODD_TEXTS = [
    "", " ", "，。、", "İzmir ＡＢＣ信访局", "12345热线t3_balance", "Open data 4.5万元", "ＯＰＥＮ Data，２０２０年",
    "a\x00b信访\x00局", "政府信息公开工作年度报告😀办理", "c++ & c# 50% -3.5 1,000", "《中华人民共和国政府信息公开条例》第二十条",
    "３．５万元（含）", "\u3000\u3000一、总体情况\n\t2020年", "ⅣⅫ①②", "ǅ ǈ ß ﬁ", "市中区信访局信访办",
]


# -- the plain versions the fast paths must equal --------------------------------------------------

_ASCII_PART = re.compile(r"[a-z0-9]+")
_UNIT_RUN = re.compile(r"([a-z0-9]+(?:[._][a-z0-9]+)*)|([^\W_a-z0-9]+)|\S")


def _plain_ascii_parts(word, start):
    return [(m.group(), start + m.start(), start + m.end()) for m in _ASCII_PART.finditer(word)
            if m.end() - m.start() < len(word)]


def plain_word_spans(text):
    jieba = _jieba()
    spans = []
    for word, start, end in jieba.tokenize(normalize(text), mode="default"):
        if word.isalnum():
            spans.append((word, start, end))
            if len(word) >= 3 and not word.isascii():
                if _ASCII_PART.search(word) is None:
                    n = len(word)
                    spans += [(word[i:i + size], start + i, start + i + size) for size in range(n - 1, 1, -1)
                              for i in range(0, n - size + 1) if jieba.has_word(word[i:i + size])]
                else:
                    spans += _plain_ascii_parts(word, start)
        elif any(ch.isalnum() for ch in word):
            spans.append((word, start, end))
            spans += _plain_ascii_parts(word, start)
    return sorted(spans, key=lambda s: (s[1], s[2]))


def plain_unit_columns(text):
    units, positions, starts, ends = [], [], [], []
    position = 0
    for m in _UNIT_RUN.finditer(normalize(text)):
        if m.group(1):
            units.append(m.group(1)), positions.append(position), starts.append(m.start()), ends.append(m.end())
            position += 1
        elif m.group(2):
            for i, ch in enumerate(m.group(2)):
                units.append(ch), positions.append(position), starts.append(m.start() + i)
                ends.append(m.start() + i + 1)
                position += 1
        else:
            position += 1
    return units, positions, starts, ends


def plain_phrase_slots(text):
    """The phrase field's terms: at p the bigram "a|b" of the units at p and p+1 when both are
    units, "a|" when no unit is at p+1, "|" where punctuation stands."""
    units, positions, _, _ = plain_unit_columns(text)
    count = sum(1 for _ in _UNIT_RUN.finditer(normalize(text))) + sum(
        len(m.group(2)) - 1 for m in _UNIT_RUN.finditer(normalize(text)) if m.group(2))
    at = dict(zip(positions, units))
    return " ".join(at[p] + "|" + at.get(p + 1, "") if p in at else "|" for p in range(count))


def plain_words_text(text):
    return " ".join(word for word, _, _ in plain_word_spans(text))


@pytest.fixture(scope="module")
def reports():
    return [parse_file(path) for path in FILES]


def corpus_texts(reports):
    texts = list(ODD_TEXTS)
    for path, report in zip(FILES, reports):
        texts += [report.title or "", report.agency or ""] + [s.text for s in report.sections]
        if path.suffix in (".txt", ".md"):
            texts.append(path.read_text(encoding="utf-8"))  # tables, headers and all
    return texts


def test_word_spans_equal_the_plain_version_on_every_corpus_text(reports):
    texts = corpus_texts(reports)
    assert sum(len(t) for t in texts) > 40_000
    for text in texts:
        assert word_spans(text) == plain_word_spans(text), text[:40]
    # twice: the second pass runs from the per-word caches
    for text in texts:
        assert word_spans(text) == plain_word_spans(text), text[:40]


def test_unit_columns_equal_the_plain_version_on_every_corpus_text(reports):
    for text in corpus_texts(reports):
        assert tuple(unit_columns(text)) == tuple(plain_unit_columns(text)), text[:40]


def test_index_terms_equal_the_plain_versions_on_every_corpus_text(reports):
    for text in corpus_texts(reports):
        assert words_text(text) == plain_words_text(text), text[:40]
        assert phrase_slots(text) == plain_phrase_slots(text), text[:40]


def test_the_phrase_slots_in_c_are_built_and_equal_the_python_version(reports):
    from indexer import _phrase_slots  # built by `pip install` (setup.py): a failed build fails here
    assert normalized_phrase_slots is _phrase_slots.normalized_phrase_slots
    texts = corpus_texts(reports)
    # and random mixtures of what the units are made of: ASCII words with . and _, letters of
    # every script, digits, punctuation, whitespace of every kind, characters beyond the BMP
    pool = "ab09._-|信访局公开ＡＺ１Ⅻ٣İß \t\n\u3000\u00a0，。（）😀\x00"
    rng = random.Random(5)
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    for text in texts:
        norm = normalize(text)
        assert _phrase_slots.normalized_phrase_slots(norm) == python_phrase_slots(norm), repr(text[:40])
    with pytest.raises(TypeError):
        _phrase_slots.normalized_phrase_slots(b"bytes")


def test_tantivy_splits_the_terms_exactly_as_tokenize_made_them(reports):
    """The fields' "whitespace" tokenizer must neither split a term nor change one (no lowercasing):
    every word and every unit of odd texts is found as the term the query side asks for."""
    index = ReportIndex.open(None)
    texts = [t for t in ODD_TEXTS if t.strip()]
    with index.batch() as batch:
        for i, text in enumerate(texts):
            batch.add(replace(reports[0], id=f"odd{i}", sections=[Section(1, "一、总体情况", text, 0, len(text))]))
    searcher = index.searcher
    for i, text in enumerate(texts):
        words = [Plan("term", "s1", w) for w, _, _ in word_spans(text)]
        units = [Plan("phrase", "p1", ((0, u.text),)) for u in char_units(text)]  # each unit alone
        for plan in words + units:
            hits = searcher.search(plan_to_query(plan, index.schema), 100).hits
            ids = {decode_hit(searcher.doc(address)["hit"][0])["id"] for _, address in hits}
            assert f"odd{i}" in ids, (plan, text)


def test_words_of_a_sentence_with_their_sub_words_in_offset_order():
    assert word_spans("本机关全年共收到政府信息公开申请，其中信访举报投诉类申请已转信访局办理。") == [
        ("本", 0, 1), ("机关", 1, 3), ("全年", 3, 5), ("共", 5, 6), ("收到", 6, 8), ("政府", 8, 10),
        ("政府信息", 8, 12), ("政府信息公开", 8, 14), ("信息", 10, 12), ("信息公开", 10, 14), ("公开", 12, 14),
        ("申请", 14, 16), ("其中", 17, 19), ("信访", 19, 21), ("信访举报", 19, 23), ("举报", 21, 23),
        ("投诉", 23, 25), ("类", 25, 26), ("申请", 26, 28), ("已转", 28, 30), ("信访", 30, 32),
        ("信访局", 30, 33), ("办理", 33, 35)]


def _plain_document(doc: tantivy.Document) -> dict:
    return doc.to_dict()


def test_a_prepared_document_survives_pickling_and_equals_the_direct_one(reports):
    for report in reports:
        prepared = prepare(report)
        assert isinstance(prepared, PreparedDoc)
        copy = pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
        document = _plain_document(prepared_to_document(copy))
        assert document == _plain_document(prepared_to_document(prepare(report)))
        # the phrase field of each part holds a term per unit position, the bigram of the units
        # standing together; the word field, the search-mode words
        for section in report.sections:
            assert document[f"p{section.n}"] == [plain_phrase_slots(section.text)]
            assert document[f"s{section.n}"] == [plain_words_text(section.text)]
        assert document["id"] == [report.id]


def test_add_prepared_and_add_index_alike(reports):
    by_add, by_prepared = ReportIndex.open(None), ReportIndex.open(None)
    with by_add.batch() as batch:
        for report in reports:
            batch.add(report)
    with by_prepared.batch() as batch:
        for report in reports:
            batch.add_prepared(pickle.loads(pickle.dumps(prepare(report))))
    for index in (by_add, by_prepared):
        assert index.count() == len(reports)
    for field, term in (("s1", "信息公开"), ("p3", "申|请"), ("agency", "政府"), ("type", "信访")):
        counts = [index.searcher.search(tantivy.Query.term_query(index.schema, field, term), 100).count
                  for index in (by_add, by_prepared)]
        assert counts[0] == counts[1]


def test_nul_characters_and_long_parts_survive_the_prepared_encoding(reports):
    report = reports[0]
    long_text = "信访局\x00受理ＡＢＣ申请，" * 7000  # > 65,535 characters
    sections = [Section(1, "一、总体情况", "a\x00b信访\x00局 12345热线", 0, 15), Section(2, "二、主动公开", long_text, 16,
                                                                            16 + len(long_text))]
    changed = replace(report, sections=sections)
    document = _plain_document(prepared_to_document(pickle.loads(pickle.dumps(prepare(changed)))))
    assert document == _plain_document(prepared_to_document(prepare(changed)))
    for section in sections:
        assert document[f"s{section.n}"] == [plain_words_text(section.text)]
        assert document[f"p{section.n}"] == [plain_phrase_slots(section.text)]
    # 信 访 局, the NUL, 受 理 abc 申 请 and the comma: 10 unit positions, a term each
    assert len(document["p2"][0].split(" ")) == 10 * 7000
