"""Synthetic corpus: realistic annual reports in four formats, each beside the
canonical report (docs/report-format.md) that parsing it must give.

    compose_report   (layout.py)    who, when, figures (figures.py), text (narrative.py)
    write_<format>   (writers.py, binary.py)   report -> file bytes
    ground_truth     (this module)  report + bytes -> canonical report dict
"""
from __future__ import annotations

import hashlib
import json
import random
from functools import lru_cache
from pathlib import Path

from ..agencies import agency_key
from ..config import Config, load_config
from ..figure_keys import figure_keys
from ..metadata import agency_to_type
from .binary import write_docx, write_pdf
from .layout import SyntheticReport, compose_report
from ..region import GazetteerError
from ..vocabulary import report_id
from .regions import load_gazetteer
from .truth import cells_of, check_flags, narrative_flags, sections_of, table_flags
from .writers import write_html, write_txt

FORMATS = ("txt", "docx", "html", "pdf")
WRITERS = {"txt": write_txt, "docx": write_docx, "html": write_html, "pdf": write_pdf}
DEFAULT_FAULT_SHARE = 0.1
MARKER = ".xxgk-synthetic"


class GenerateError(ValueError):
    """The generator was asked for something it cannot make."""


def generate_corpus(n: int, out_dir: str | Path, formats=FORMATS, seed: int = 0, *,
                    config: Config | None = None, fault_share: float = DEFAULT_FAULT_SHARE) -> list[Path]:
    """Write ``n`` synthetic reports to ``out_dir``, each beside ``<stem>.json``, its ground truth.

    Report i is written in ``formats[i % len(formats)]``; the same seed gives the
    same files, byte for byte. A marker file ``.xxgk-synthetic`` is left in ``out_dir``.

    :param n: how many reports.
    :param out_dir: the folder to write (created if missing).
    :param formats: any of txt, docx, html, pdf.
    :param seed: the seed; report i depends only on (seed, i).
    :param config: settings whose agency taxonomy classifies agencies (default config.toml).
    :param fault_share: share of reports with planted inconsistencies (wrong totals,
        blank cells, a narrative figure that disagrees), each recorded in the flags.
    :returns: the report files written, in order.
    """
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        raise GenerateError(f"unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})" if unknown
                            else "no format given")
    if n < 0:
        raise GenerateError(f"the number of reports must not be negative, not {n}")
    if not 0 <= fault_share <= 1:
        raise GenerateError(f"fault share must be between 0 and 1, not {fault_share}")
    config = config or load_config()
    try:
        gazetteer = load_gazetteer(_taxonomy_words(config))
    except GazetteerError as e:
        raise GenerateError(str(e)) from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("synthetic reports written by `xxgk generate`; ingest marks them synthetic\n",
                              encoding="utf-8")
    paths = []
    for i in range(n):
        fmt = formats[i % len(formats)]
        rng = random.Random(f"xxgk:{seed}:{i}")
        report = compose_report(rng, gazetteer, fault_share, fmt)
        data = WRITERS[fmt](report, rng)
        path = out / f"syn{seed}_{i:06d}.{fmt}"
        path.write_bytes(data)
        truth = ground_truth(report, path, fmt, data, config)
        path.with_suffix(".json").write_text(json.dumps(truth, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        paths.append(path)
    return paths


@lru_cache(maxsize=None)
def _figure_keys(template: str) -> list[str]:
    return figure_keys(template)


def _taxonomy_words(config: Config) -> tuple[str, ...]:
    """Every agency-type keyword: no place name may contain one (公安县 …)."""
    return tuple(sorted({k for t in config.agency_types for k in t.keywords}))


def ground_truth(report: SyntheticReport, path: Path, fmt: str, data: bytes, config: Config) -> dict:
    """The canonical report (Report.to_dict() shape) that parsing ``data`` must give."""
    sha256 = hashlib.sha256(data).hexdigest()
    keys = _figure_keys(report.template)
    agency, figures = report.agency, report.figures
    place = agency.place
    region = {"province": place.province, "city": place.city, "county": place.county, "adcode": place.adcode}
    return {
        "id": report_id(sha256),
        "source": {"path": str(path), "format": fmt, "sha256": sha256, "url": report.url, "synthetic": True},
        "title": report.title,
        "agency": agency.name,
        "agency_key": agency_key(agency.name, region, dict(config.agency_aliases)),
        "year": report.year,
        "template": report.template,
        "region": region,
        "level": agency.level,
        "agency_type": agency_to_type(agency.name, config),
        "published": report.publication_date,
        "sections": sections_of(report.paragraphs(), report.heading_indexes(), report.closing_count()),
        "figures": {key: figures.values[key] for key in keys},
        "cells": cells_of(figures, keys),
        "flags": table_flags(figures) + check_flags(figures) + narrative_flags(figures),
    }
