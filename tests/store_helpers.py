"""Hand-made canonical reports for the store, ingest and export tests (no parser needed)."""
from __future__ import annotations

import hashlib

from indexer.report import Flag, Report, Section


def make_report(tmp_path, name: str, text: str, *, agency="市中区信访局", year=2020, figures=None,
                flags=()) -> tuple[Report, object]:
    """Write ``text`` to ``tmp_path/name`` and return a report of it (id and sha256 from its bytes) and the path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    report = Report(
        id=sha[:16],
        source={"path": str(path), "format": "txt", "sha256": sha, "url": None, "synthetic": False},
        title=f"{agency}{year}年度政府信息公开工作年度报告",
        agency=agency,
        year=year,
        template="2019",
        region={"province": "山东省", "city": "枣庄市", "county": "市中区", "adcode": "370402"},
        level="county",
        agency_type="信访",
        published="2021-01-22",
        sections=[Section(1, "一、总体情况", text, 0, len(text))],
        figures=figures if figures is not None else {"t2.procurement.count": 6, "t2.procurement.amount_wan": 63.2,
                                                     "t3.new.natural": None},
        cells={"t2.procurement.amount_wan": {"raw": "63.2", "note": "unit assumed 万元"}},
        flags=[Flag(code, "natural", "detail") for code in flags],
    )
    return report, path


def downgrade_to_format_1(data_dir) -> None:
    """Rewrite a store as format 1 wrote it: ``reports.json`` as plain TEXT, ``originals.bytes``
    as the file's plain bytes, no dictionaries table, ``user_version`` 1."""
    import sqlite3

    from indexer.store import DB_NAME, Store

    store = Store.open(data_dir)
    db = sqlite3.connect(data_dir / DB_NAME, isolation_level=None)
    reports = [(store.codec.decompress(value, rid).decode("utf-8"), rid)
               for rid, value in db.execute("SELECT id, json FROM reports")]
    originals = [(store.codec.decompress(value, sha), sha)
                 for sha, value in db.execute("SELECT sha256, bytes FROM originals")]
    store.close()
    db.executemany("UPDATE reports SET json = ? WHERE id = ?", reports)
    db.executemany("UPDATE originals SET bytes = ? WHERE sha256 = ?", originals)
    db.execute("DROP TABLE dictionaries")
    db.execute("PRAGMA user_version = 1")
    db.close()
