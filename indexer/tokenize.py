"""Chinese segmentation shared by the index and the query parser.

Two token streams come from one text:

- ``tokenize(text)``: jieba words for matching and BM25 ranking, in search
  mode (every in-dictionary sub-word of a word is emitted beside the word, so
  信访 finds 信访局 and 政府信息公开 finds 政府信息公开工作), each with
  (start, end) character offsets into the ORIGINAL text.
- ``char_units(text)``: one unit per Chinese character or ASCII word with a
  running position, for phrase queries: a phrase matches only where its
  characters are contiguous, whatever jieba made of the surrounding text.
  The index holds at each unit's position the bigram of it and the next unit,
  and a phrase is matched by the bigrams covering it (``phrase_terms``).

The index receives both streams as plain strings of space-separated terms
(``words_text``, ``phrase_slots``) that tantivy's built-in "whitespace"
tokenizer splits in Rust: building one Python token object per term cost more
than all the rest of indexing. The index keeps no offsets, so none are lost;
the highlighter recomputes them for the hits it shows.

Both fold full-width ASCII (ＡＢＣ１２３) to ASCII and lowercase ASCII,
character by character, so offsets stay valid for the original text.
The same functions run at index and at query time.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import rjieba

USERDICT = Path(__file__).resolve().parent / "data" / "userdict.txt"

# full-width ASCII -> ASCII, then ASCII upper -> lower; one character for one (str.lower
# would turn İ into two characters and shift every offset after it)
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({c: c + 0x20 for c in range(0x41, 0x5B)})
_FOLD.update({c: c - 0xFEE0 + 0x20 for c in range(0xFF21, 0xFF3B)})
_FOLD[0x3000] = 0x20
# Only these characters change. str.translate looks up every character of the text in _FOLD;
# a regex stops at these alone, a small share of a report.
_FOLDED = re.compile("[\uff01-\uff5e\u3000A-Z]")
_FOLD_CHAR = {chr(c): chr(folded) for c, folded in _FOLD.items()}
_ASCII_PART = re.compile(r"[a-z0-9]+")
# jieba segments each run of these characters on its own (jieba-rs RE_HAN_DEFAULT), so a run
# can be tokenized alone with the very result of tokenizing the whole text; ours are never shorter.
_BLOCK = re.compile(r"(?:[^\W_]|[+#&._%\-])+")
# Runs whose words highlighting keeps (~0.3 KB each): a few MB a process.
RUN_CACHE_SIZE = 16384
# an ASCII word | a run of other letters (Chinese) | any other non-space character (punctuation)
# A phrase unit is an ASCII word or one other letter (a Chinese character); any other
# non-space character is punctuation.
_ASCII_WORD = r"[a-z0-9]+(?:[._][a-z0-9]+)*"
_LETTER = r"[^\W_a-z0-9]"
_UNIT_RUN = re.compile(rf"({_ASCII_WORD})|({_LETTER}+)|\S")


class Token(NamedTuple):
    """A word and where it sits in the original text (character offsets)."""
    text: str
    start: int
    end: int


class Unit(NamedTuple):
    """A phrase unit (one Chinese character or one ASCII word) at a position."""
    text: str
    start: int
    end: int
    position: int


def normalize(text: str) -> str:
    """Full-width ASCII to ASCII and ASCII lowercased; same length as ``text``."""
    return _FOLDED.sub(_fold_match, text)


def _fold_match(match: re.Match) -> str:
    return _FOLD_CHAR[match.group()]


@lru_cache(maxsize=1)
def _jieba() -> rjieba.Jieba:
    """A private jieba with the domain words, built on first use (not at import)."""
    jieba = rjieba.Jieba()
    for line in USERDICT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, *rest = line.split()
        freq = int(rest[0]) if rest and rest[0].isdigit() else None
        jieba.add_word(word, freq, None)
    return jieba


def warm_up_segmenter() -> None:
    """Build the segmenter now (e.g. before forking processes that will all use it)."""
    _jieba()


def _sub_words(jieba, word: str, start: int) -> list[tuple[str, int, int]]:
    """In-dictionary sub-words of a Chinese word (every length, not only jieba's 2 and 3)."""
    n = len(word)
    return [(word[i:i + size], start + i, start + i + size)
            for size in range(n - 1, 1, -1) for i in range(0, n - size + 1) if jieba.has_word(word[i:i + size])]


def _ascii_parts(word: str, start: int) -> list[tuple[str, int, int]]:
    """The ASCII words inside a mixed word (12345热线, t3_balance)."""
    return [(m.group(), start + m.start(), start + m.end()) for m in _ASCII_PART.finditer(word)
            if m.end() - m.start() < len(word)]


# What each distinct jieba word yields, offsets relative to the word (see _word_pieces).
# Words recur across reports, so the sub-word search (a dictionary look-up per
# substring) runs once per word; cleared when it grows past the bound (numbers vary without end).
_PIECES: dict[str, tuple[tuple[str, int, int], ...] | None] = {}
_PIECES_LIMIT = 200_000


def _word_pieces(word: str) -> tuple[tuple[str, int, int], ...] | None:
    """The tokens one jieba word yields, relative to the word and in (start, end) order:
    None for the word alone, () for nothing (punctuation, spaces)."""
    if word.isalnum():
        if len(word) < 3 or word.isascii():
            return None
        extra = _sub_words(_jieba(), word, 0) if _ASCII_PART.search(word) is None else _ascii_parts(word, 0)
    elif any(ch.isalnum() for ch in word):
        extra = _ascii_parts(word, 0)
    else:
        return ()
    if not extra:
        return None
    return tuple(sorted([(word, 0, len(word)), *extra], key=_span_order))


def _new_pieces(word: str) -> tuple[tuple[str, int, int], ...] | None:
    """``_word_pieces`` of a word not in the cache yet, now cached (the loops below look up the cache inline)."""
    if len(_PIECES) >= _PIECES_LIMIT:
        _PIECES.clear()
    pieces = _PIECES[word] = _word_pieces(word)
    return pieces


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """``tokenize`` as plain (text, start, end) tuples (the indexer's fast path)."""
    if not text:
        return []
    return normalized_word_spans(normalize(text))


def normalized_word_spans(norm: str) -> list[tuple[str, int, int]]:
    """``word_spans`` of a text already passed through ``normalize`` (offsets are the same)."""
    # jieba's words are contiguous and in order, and every piece lies inside its
    # word, so the pieces of each word in (start, end) order, one word after the
    # other, are the whole list in (start, end) order: no sort needed.
    spans: list[tuple[str, int, int]] = []
    append = spans.append  # bound once: the loop below runs for every word of every report
    pieces_of = _PIECES.get
    missing = _PIECES  # a sentinel no value can be
    for span in _jieba().tokenize(norm, mode="default"):
        pieces = pieces_of(span[0], missing)
        if pieces is missing:
            pieces = _new_pieces(span[0])
        if pieces is None:
            append(span)
        elif pieces:
            start = span[1]
            spans += [(word, start + a, start + b) for word, a, b in pieces]
    return spans


def words_text(text: str) -> str:
    """The word fields' value: ``word_spans`` words joined by spaces (the index keeps no offsets)."""
    return normalized_words_text(normalize(text)) if text else ""


class _WordTerms(dict):
    """jieba word -> the terms it yields joined by spaces ('' for none), filled on first use.

    A dict subclass with ``__missing__``: looking up a known word stays in C, so
    ``normalized_words_text`` runs no Python per word. Bounded like ``_PIECES``.
    """

    def __missing__(self, word: str) -> str:
        pieces = _word_pieces(word)
        terms = word if pieces is None else " ".join(piece[0] for piece in pieces)
        if len(self) >= _PIECES_LIMIT:
            self.clear()
        self[word] = terms
        return terms


_WORD_TERMS = _WordTerms()


def normalized_words_text(norm: str) -> str:
    """``words_text`` of a text already passed through ``normalize``."""
    return " ".join(filter(None, map(_WORD_TERMS.__getitem__, _jieba().cut(norm))))


def _span_order(span: tuple[str, int, int]) -> tuple[int, int]:
    return span[1], span[2]


def tokenize(text: str) -> list[Token]:
    """Search-mode jieba words of ``text`` with their character offsets.

    Punctuation and whitespace are dropped; ASCII is lowercased; sorted by
    (start, end). Every word comes with its in-dictionary sub-words.

    :param text: any text (report section, agency name, query word)
    """
    return [Token(*span) for span in word_spans(text)]


def word_spans_around(text: str, words: frozenset[str], norm: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, word) of every token of ``tokenize(text)`` that is one of ``words``
    (highlighting), in (start, end) order within each run.

    Only the runs of letters and digits where a word occurs are segmented: jieba cuts every run
    on its own, so their tokens are those of the whole text. A word that begins right after a
    run (not inside one) counts that run as its own, as the run before a gap. ``norm``:
    ``normalize(text)`` if the caller has it (the same length: offsets into one are offsets into
    the other).
    """
    norm = normalize(text) if norm is None else norm
    backwards = norm[::-1]  # the run before a position, found by a regex reading leftwards
    blocks: dict[int, int] = {}
    for word in words:
        at = norm.find(word)
        covered = -1
        while at >= 0:
            if at >= covered:
                before = _BLOCK.match(backwards, len(norm) - at)
                start = at - (before.end() - before.start() if before else 0)
                run = _BLOCK.match(norm, start)
                if run is not None:
                    blocks[start] = covered = run.end()
            at = norm.find(word, at + 1)
    spans: list[tuple[int, int, str]] = []
    for start, end in sorted(blocks.items()):
        spans += [(start + s, start + e, w) for w, s, e in _run_word_spans(norm[start:end]) if w in words]
    return spans


@lru_cache(maxsize=RUN_CACHE_SIZE)
def _run_word_spans(run: str) -> tuple[tuple[str, int, int], ...]:
    """``normalized_word_spans`` of one run, remembered: reports repeat their clauses (the template's
    sentences, the regulation's name), and the hits of a search ask for the same ones again."""
    return tuple(normalized_word_spans(run))


def query_terms(text: str) -> list[Token]:
    """The words a query word must match: ``tokenize`` without the sub-words.

    A query for 信访局 then needs the word 信访局 (not just 信访), while the
    index, which holds sub-words too, lets 信访 find 信访局.
    """
    tokens = tokenize(text)
    return [t for t in tokens
            if not any(o is not t and o.start <= t.start and t.end <= o.end for o in tokens)]


def unit_columns(text: str) -> tuple[list[str], list[int], list[int], list[int]]:
    """Phrase units of ``text`` as columns: (texts, positions, starts, ends).

    Each Chinese character and each ASCII word is a unit. Whitespace is
    ignored (PDF text breaks lines inside words); punctuation takes a position
    of its own, leaving a gap so a phrase never matches across it. Columns,
    because the index builds its tokens from them without a Python loop per
    character.
    """
    return normalized_unit_columns(normalize(text))


def normalized_unit_columns(norm: str) -> tuple[list[str], list[int], list[int], list[int]]:
    """``unit_columns`` of a text already passed through ``normalize`` (offsets are the same)."""
    texts: list[str] = []
    positions: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for m in _UNIT_RUN.finditer(norm):
        kind = m.lastindex  # 1: an ASCII word, 2: a run of letters, None: punctuation
        if kind == 2:
            start, end = m.span()
            texts.extend(m.group(2))
            positions.extend(range(position, position + end - start))
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
            position += end - start
        elif kind == 1:
            start, end = m.span()
            texts.append(m.group(1))
            positions.append(position)
            starts.append(start)
            ends.append(end)
            position += 1
        else:
            position += 1
    return texts, positions, starts, ends


# Joins the two units of a bigram, and ends a unit that has no next unit to pair with; GAP is the
# slot of a sign of punctuation (see ``phrase_slots``). Units are letters and digits (ASCII words
# may hold . and _), so neither can be or be inside a unit, and neither is whitespace, which
# splits the terms.
BIGRAM_JOIN = "|"
GAP = "|"


def bigram(first: str, second: str) -> str:
    """The bigram term of two units standing together."""
    return first + BIGRAM_JOIN + second


def phrase_slots(text: str) -> str:
    """The phrase field of ``text``: one term per unit position (``unit_columns``), as
    space-separated terms.

    Position p holds the bigram "a|b" of the unit a at p and the unit b at p+1, or "a|" where
    no unit follows (punctuation, the end); a sign of punctuation holds GAP. Whitespace takes
    no position, so a bigram may span it (PDF text breaks lines inside words), but never
    punctuation. Every unit is then the start of its position's term, and a phrase of units is
    matched by the bigrams covering it (``phrase_terms``): far fewer documents hold a bigram
    than each of its characters, and one term a position is half the terms of a term for each
    unit beside each bigram.
    """
    return normalized_phrase_slots(normalize(text))


def python_phrase_slots(norm: str) -> str:
    """``phrase_slots`` of a text already passed through ``normalize``: the Python version of
    ``normalized_phrase_slots``, used where the C one (indexer/_phrase_slots.c) is not built."""
    units = _phrase_units(norm)
    if not units:
        return ""
    # a unit's term is itself, the join, and the next unit ("" for a GAP or the end)
    units.append(GAP)
    following = [unit if unit != GAP else "" for unit in units[1:]]
    return " ".join([GAP if unit == GAP else unit + BIGRAM_JOIN + after
                     for unit, after in zip(units, following)])


try:  # the same function in C, a tenth of the time (built by setup.py where a C compiler is)
    from ._phrase_slots import normalized_phrase_slots
except ImportError:
    normalized_phrase_slots = python_phrase_slots


def _phrase_units(norm: str) -> list[str]:
    """The units of ``norm`` in order, GAP for each sign of punctuation (whitespace takes no place)."""
    units: list[str] = []
    extend = units.extend  # bound once: the loop below runs for every unit of every report
    append = units.append
    # one match per run of letters, not per letter: the regex engine costs per match
    for word, letters in _UNIT_RUN.findall(norm):
        if letters:
            extend(letters)  # each letter (a Chinese character) is a unit
        else:
            append(word or GAP)
    return units


class PhraseTerm(NamedTuple):
    """A term a phrase is matched with, at its position relative to the phrase's first unit."""
    position: int
    text: str
    # True: a unit standing alone, matched by the terms that begin with ``text`` (the unit and
    # the join: its position's bigram with whatever follows, or the unit at the end of a run)
    prefix: bool = False


def phrase_terms(units: tuple[tuple[int, str], ...]) -> tuple[PhraseTerm, ...]:
    """The terms of the phrase field that a phrase of units is matched with.

    ``units`` are (relative unit position, unit). Each run of units at
    consecutive positions becomes the bigrams at offsets 0, 2, 4 … of the run
    and its last bigram (together they cover every unit of the run, and a
    bigram exists only where both its units stand together); a run of one
    unit (between punctuation in the query) becomes the prefix its
    position's term begins with. Exact: a text matches the result iff it
    matches the units.
    """
    runs: list[list[tuple[int, str]]] = []
    for rel, unit in units:
        if runs and runs[-1][-1][0] + 1 == rel:
            runs[-1].append((rel, unit))
        else:
            runs.append([(rel, unit)])
    terms: list[PhraseTerm] = []
    for run in runs:
        if len(run) == 1:
            terms.append(PhraseTerm(run[0][0], run[0][1] + BIGRAM_JOIN, prefix=True))
            continue
        starts = list(range(0, len(run) - 1, 2))
        if starts[-1] != len(run) - 2:
            starts.append(len(run) - 2)
        terms += [PhraseTerm(run[i][0], bigram(run[i][1], run[i + 1][1])) for i in starts]
    return tuple(terms)


def char_units(text: str) -> list[Unit]:
    """Phrase units of ``text`` (see ``unit_columns``)."""
    texts, positions, starts, ends = unit_columns(text)
    return list(map(Unit, texts, starts, ends, positions))
