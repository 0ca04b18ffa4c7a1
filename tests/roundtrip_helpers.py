"""Compare a parsed report with a generator's ground truth, field by field, readably."""
from __future__ import annotations

from collections import Counter

METADATA_FIELDS = ("title", "agency", "year", "template", "region", "level", "agency_type", "published")
SOURCE_FIELDS = ("format", "sha256", "url", "synthetic")


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9


def report_differences(got: dict, want: dict) -> list[str]:
    """Every way the parsed report ``got`` differs from the ground truth ``want``,
    one readable line each (empty when they agree)."""
    out = []
    if got["id"] != want["id"]:
        out.append(f"id: got {got['id']!r}, want {want['id']!r}")
    for name in SOURCE_FIELDS:
        if got["source"].get(name) != want["source"].get(name):
            out.append(f"source.{name}: got {got['source'].get(name)!r}, want {want['source'].get(name)!r}")
    for name in METADATA_FIELDS:
        if got.get(name) != want.get(name):
            out.append(f"{name}: got {got.get(name)!r}, want {want.get(name)!r}")
    got_sections = {s["n"]: s for s in got["sections"]}
    for section in want["sections"]:
        mine = got_sections.pop(section["n"], None)
        if mine is None:
            out.append(f"section {section['n']}: missing")
            continue
        for name in ("heading", "start", "end", "text"):
            if mine[name] != section[name]:
                out.append(f"section {section['n']}.{name}: got {str(mine[name])[:80]!r}, "
                           f"want {str(section[name])[:80]!r}")
    out += [f"section {n}: unexpected" for n in got_sections]
    for key, value in want["figures"].items():
        if key not in got["figures"]:
            out.append(f"figure {key}: missing (want {value!r})")
        elif not _same_number(got["figures"][key], value):
            out.append(f"figure {key}: got {got['figures'][key]!r}, want {value!r}")
    out += [f"figure {key}: unexpected ({value!r})" for key, value in got["figures"].items()
            if key not in want["figures"]]
    for key, cell in want["cells"].items():
        mine = got["cells"].get(key)
        if not cell["raw"]:
            continue  # a blank cell's raw text depends on the format's whitespace
        if mine is None:
            out.append(f"cell {key}: missing (want {cell!r})")
        elif mine.get("raw", "").strip() != cell["raw"] or mine.get("note") != cell.get("note"):
            out.append(f"cell {key}: got {mine!r}, want {cell!r}")
    got_flags = Counter((f["code"], f["where"]) for f in got["flags"])
    want_flags = Counter((f["code"], f["where"]) for f in want["flags"])
    for flag in sorted((got_flags - want_flags).elements(), key=str):
        detail = next(f["detail"] for f in got["flags"] if (f["code"], f["where"]) == flag)
        out.append(f"flag {flag[0]} at {flag[1]}: unexpected ({detail})")
    for flag in sorted((want_flags - got_flags).elements(), key=str):
        detail = next(f["detail"] for f in want["flags"] if (f["code"], f["where"]) == flag)
        out.append(f"flag {flag[0]} at {flag[1]}: missing ({detail})")
    return out
