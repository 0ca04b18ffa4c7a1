"""Numbers in table cells: reading one value, and splitting digits that ran together.

Crawled pages and broken conversions lose the cell borders: `713000074` is the
row 71 3 0 0 0 0 74. `split_segments` lists every way to read such a run as a
given number of values; the caller keeps only the readings the table's own sums
allow (`digit_candidates`), and takes one only when it is the only one left.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

Segment = str | None  # a value's text (digits, maybe a decimal part and a unit) or None for a blank cell
Reading = tuple[Segment, ...]

MAX_READINGS = 20_000  # beyond this a run is hopelessly ambiguous anyway
NUMBER = re.compile(r"([+-]?)(\d+)(\.\d+)?(\D*)")
THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
BLANK = re.compile(r"^[\s\u200b\ufeff]*$")


class TooManyReadings(Exception):
    """A run of digits has too many readings to enumerate; treat it as ambiguous."""


@lru_cache(maxsize=8192)
def clean_value(raw: str) -> str:
    """Cell text without surrounding spaces (any width) and thousands separators."""
    text = BOOKMARK.sub("", unicodedata.normalize("NFKC", raw)).strip().strip("\u200b\ufeff").strip()
    return THOUSANDS.sub("", text)


# Pure functions of a cell's text, called several times for every cell of every
# table; the same few texts ("", "0", "1" …) recur in every report, hence the caches.
@lru_cache(maxsize=8192)
def is_blank(raw: str | None) -> bool:
    return raw is None or bool(BLANK.match(BOOKMARK.sub("", raw)))


@lru_cache(maxsize=8192)
def to_int(segment: Segment) -> int | float | None:
    """A count cell as a number (an int unless the cell has a decimal point)."""
    if segment is None:
        return None
    m = NUMBER.fullmatch(segment)
    if not m or m.group(4).strip():
        return None
    sign = -1 if m.group(1) == "-" else 1
    if m.group(3):
        return round(sign * float(m.group(2) + m.group(3)), 6)
    return sign * int(m.group(2))


def _max_parts(segment: Segment) -> int:
    if segment is None:
        return 1
    m = NUMBER.fullmatch(segment)
    if not m or m.group(1):
        return 1
    return len(m.group(2))


def _cuts(digits: str, k: int) -> Iterator[tuple[str, ...]]:
    """Every way to cut a digit string into k numbers written without leading zeros."""
    if k == 1:
        if len(digits) == 1 or digits[0] != "0":
            yield (digits,)
        return
    for i in range(1, len(digits) - k + 2):
        head = digits[:i]
        if len(head) > 1 and head[0] == "0":
            break
        for rest in _cuts(digits[i:], k - 1):
            yield (head,) + rest


def _parts(segment: Segment, k: int) -> Iterator[tuple[Segment, ...]]:
    if segment is None or k == 1:
        if k == 1:
            yield (segment,)
        return
    m = NUMBER.fullmatch(segment)
    if not m or m.group(1):
        return
    tail = (m.group(3) or "") + m.group(4)  # a decimal part and a unit stay with the last value
    for cut in _cuts(m.group(2), k):
        yield cut[:-1] + (cut[-1] + tail,)


def split_segments(segments: Sequence[Segment], n: int, limit: int = MAX_READINGS) -> list[Reading]:
    """Every reading of ``segments`` as exactly ``n`` values.

    Each digit segment becomes one or more numbers (no leading zeros except "0"
    itself); spaces between segments are hard boundaries; a blank stays one
    blank value.

    :raises TooManyReadings: more than ``limit`` readings.
    """
    segments = list(segments)
    maxes = [_max_parts(s) for s in segments]
    readings: list[Reading] = []

    def walk(i: int, remaining: int, acc: tuple) -> None:
        if i == len(segments):
            if remaining == 0:
                readings.append(acc)
                if len(readings) > limit:
                    raise TooManyReadings()
            return
        rest_min = len(segments) - i - 1
        rest_max = sum(maxes[i + 1:])
        for k in range(1, maxes[i] + 1):
            if not rest_min <= remaining - k <= rest_max:
                continue
            for part in _parts(segments[i], k):
                walk(i + 1, remaining - k, acc + part)

    walk(0, n, ())
    return readings


def digit_count(segments: Sequence[Segment]) -> int:
    """How many values the segments can hold at most."""
    return sum(_max_parts(s) for s in segments)


def windows(segments: Sequence[Segment], n: int) -> list[Reading]:
    """Readings of more than n cells as n: drop surplus cells at either end, only if blank."""
    out = []
    for start in range(len(segments) - n + 1):
        dropped = list(segments[:start]) + list(segments[start + n:])
        if all(s is None for s in dropped):
            out.append(tuple(segments[start:start + n]))
    return out


def digit_candidates(segments: Sequence[Segment], n: int, fits: Callable[[Reading], bool],
                     *, missing_cell: Callable[[Reading, int], Reading | None] | None = None) -> list[Reading]:
    """The readings of a row's value cells as n values that its sums allow.

    :param segments: the row's value cells in order (None for blank cells).
    :param n: how many columns the row has.
    :param fits: the row's identity (True where it cannot be evaluated).
    :param missing_cell: for a table row with too few cells: given the n-1 cells
        and the position of the missing one, the completed row (or None).
    :raises TooManyReadings: too many readings to enumerate.
    """
    segments = list(segments)
    if len(segments) == n:
        return [tuple(segments)]
    if len(segments) > n:
        found = windows(segments, n)
        if len(found) > 1:
            # prefer the window with the fewest blanks, then the one the row's sum accepts
            found.sort(key=lambda r: (sum(v is None for v in r), not fits(r)))
            best = found[0]
            key = (sum(v is None for v in best), not fits(best))
            found = [r for r in found if (sum(v is None for v in r), not fits(r)) == key]
        return found
    readings = {r for r in split_segments(segments, n) if fits(r)}
    if missing_cell is not None and len(segments) == n - 1:
        for position in range(n):
            completed = missing_cell(tuple(segments), position)
            if completed is not None and fits(completed):
                readings.add(completed)
    return sorted(readings, key=lambda r: tuple("" if v is None else v for v in r))
