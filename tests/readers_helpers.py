"""Builders for reader tests: Word files laid out like the seeds' tables.

A table is given as the rows Word's own text export shows (the seed) plus
the merged regions of its grid; the builder writes a real .docx with
gridSpan/vMerge so read_docx must undo exactly what Word's export does.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path

import docx

from indexer.document import Table


# Merged regions (row0, col0, row1, col1), inclusive, of seed 001's three tables.
SEED_001_T2_GRID = (4, [(0, 0, 0, 3), (4, 0, 4, 3), (8, 0, 8, 3), (12, 0, 12, 3), (13, 2, 13, 3),
                        (14, 2, 14, 3), (15, 0, 15, 3), (16, 2, 16, 3), (17, 2, 17, 3)])
SEED_001_T3_GRID = (10, [(0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9),
                         (3, 0, 3, 2), (4, 0, 4, 2), (5, 0, 24, 0), (5, 1, 5, 2), (6, 1, 6, 2),
                         (7, 1, 14, 1), (15, 1, 17, 1), (18, 1, 22, 1), (23, 1, 23, 2), (24, 1, 24, 2),
                         (25, 0, 25, 2)])
SEED_001_T4_GRID = (15, [(0, 0, 0, 4), (0, 5, 0, 14), (1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 2, 2), (1, 3, 2, 3),
                         (1, 4, 2, 4), (1, 5, 1, 9), (1, 10, 1, 14)])
SEED_001_GRIDS = [SEED_001_T2_GRID, SEED_001_T3_GRID, SEED_001_T4_GRID]


def _slots(n_rows: int, n_cols: int, merges):
    """Per row, the visible cells: (grid col, region or None, is the region's first row)."""
    owner = {}
    for region in merges:
        r0, c0, r1, c1 = region
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                owner[(r, c)] = region
    rows = []
    for r in range(n_rows):
        slots, c = [], 0
        while c < n_cols:
            region = owner.get((r, c))
            if region is None:
                slots.append((c, None, True))
                c += 1
            else:
                slots.append((c, region, r == region[0]))
                c = region[3] + 1
        rows.append(slots)
    return rows


def add_merged_table(word, rows: list[list[str]], grid, container=None):
    """Add a table to a python-docx document (or cell) reproducing ``rows`` with merges.

    A cell text containing "\\n" is written as separate paragraphs inside the cell.
    """
    n_cols, merges = grid
    container = container if container is not None else word
    table = container.add_table(rows=len(rows), cols=n_cols)
    slots = _slots(len(rows), n_cols, merges)
    for r, (row, row_slots) in enumerate(zip(rows, slots)):
        row_cells = table.rows[r].cells  # table.cell() rebuilds the whole grid per call: slow
        if len(row) > len(row_slots):
            raise ValueError(f"row {r} has {len(row)} cells, grid has {len(row_slots)}: {row}")
        # Word's export drops trailing empty unmerged cells nowhere, so a short row is padded.
        for text, (c, region, first) in zip(row + [""] * (len(row_slots) - len(row)), row_slots):
            if region is not None and not first:
                if text:
                    raise ValueError(f"row {r} col {c}: text {text!r} in a merged continuation")
                continue
            _set_cell_text(row_cells[c], text)
    for r0, c0, r1, c1 in merges:
        # merge() concatenates the paragraphs of the region; only the top-left has text.
        table.cell(r0, c0).merge(table.cell(r1, c1))
    return table


def _set_cell_text(cell, text: str) -> None:
    parts = text.split("\n")
    cell.paragraphs[0].add_run(parts[0]) if parts[0] else None
    for part in parts[1:]:
        cell.add_paragraph(part)


def write_docx(path, build):
    """Create a .docx at ``path`` (a path or a binary file object); ``build(word)`` fills it."""
    word = docx.Document()
    build(word)
    word.save(path if hasattr(path, "write") else str(path))
    return path


def merged_table_html(rows: list[list[str]], grid) -> str:
    """The same table as HTML, with rowspan/colspan for the merged regions."""
    n_cols, merges = grid
    slots = _slots(len(rows), n_cols, merges)
    out = ["<table border='1'>"]
    for row, row_slots in zip(rows, slots):
        out.append("<tr>")
        for text, (c, region, first) in zip(row + [""] * (len(row_slots) - len(row)), row_slots):
            if region is not None and not first:
                continue
            attrs = ""
            if region is not None:
                r0, c0, r1, c1 = region
                attrs += f" rowspan='{r1 - r0 + 1}'" if r1 > r0 else ""
                attrs += f" colspan='{c1 - c0 + 1}'" if c1 > c0 else ""
            out.append(f"<td{attrs}>{'<br>'.join(escape(part) for part in text.split(chr(10)))}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def seed_as_docx(seed, path, wrap_in_layout_table=False):
    """Seed 001 (read by read_text) rebuilt as a real Word file at ``path``: heading styles,
    merged cells, two-paragraph cells."""

    def build(word):
        grids = iter(SEED_001_GRIDS)
        target = word
        if wrap_in_layout_table:
            # a one-row layout table whose second cell holds the whole report
            frame = word.add_table(rows=1, cols=2)
            frame.cell(0, 0).paragraphs[0].add_run("网站导航")
            target = frame.cell(0, 1)
        for block in seed.blocks:
            if isinstance(block, Table):
                rows = [[cell.replace("本年新制作数量", "本年新\n制作数量") for cell in row] for row in block.rows]
                add_merged_table(word, rows, next(grids), container=target)
            elif block.text.startswith(("一、", "二、", "三、", "四、", "五、", "六、")):
                target.add_paragraph(block.text, style="Heading 2")
            elif block is seed.blocks[0]:
                target.add_paragraph(block.text, style="Title")
            else:
                target.add_paragraph(block.text)

    return write_docx(path, build)


def soffice_convert(paths, target: str, out_dir) -> list[Path]:
    """Convert files with LibreOffice in one call (it starts once for all of them), e.g. to
    ``doc:MS Word 97`` or ``rtf``, into ``out_dir``, with a throwaway profile and home.

    :returns: the converted files, in the order of ``paths``.
    """
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory() as scratch:
        profile = (Path(scratch) / "profile").as_uri()
        subprocess.run([shutil.which("soffice"), "--headless", "--norestore", f"-env:UserInstallation={profile}",
                        "--convert-to", target, "--outdir", str(out_dir), *map(str, paths)],
                       check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": scratch})
    suffix = "." + target.split(":")[0]
    converted = [out_dir / (Path(p).stem + suffix) for p in paths]
    missing = [p.name for p in converted if not p.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {', '.join(missing)}")
    return converted
