"""Readable text summaries: one canonical report (for `xxgk parse`), the agencies an
ingest run could not type, and what parsing the stored reports again changed (for `xxgk ingest`)."""
from __future__ import annotations

from .metadata import OTHER_AGENCY_TYPE
from .report import Report

MAX_UNTYPED_LISTED = 30
MAX_CHANGED_LISTED = 30
TAXONOMY_HINT = "add a type or keyword for them to [[agency_types]] in config.toml, then ingest again"


def report_summary(report: Report) -> str:
    region = " ".join(v for k, v in report.region.items() if v and k != "adcode") or "-"
    lines = [
        f"{report.title or '(no title)'}",
        f"  id        {report.id}",
        f"  agency    {report.agency or '-'}  (type {report.agency_type or '-'}, level {report.level or '-'})"
        + (f"  [type unknown: {TAXONOMY_HINT}]" if report.agency_type == OTHER_AGENCY_TYPE else ""),
        f"  year      {report.year or '-'}  template {report.template or '-'}  published {report.published or '-'}",
        f"  region    {region}" + (f"  [{report.region.get('adcode')}]" if report.region.get("adcode") else ""),
        f"  source    {report.source['path']} ({report.source['format']})"
        + ("  SYNTHETIC" if report.source.get("synthetic") else ""),
        "  sections  " + ", ".join(f"{s.n}:{s.heading}" for s in report.sections),
    ]
    nonzero = {k: v for k, v in report.figures.items() if v not in (0, None)}
    blank = sum(1 for v in report.figures.values() if v is None)
    lines.append(f"  figures   {len(report.figures)} cells, {len(nonzero)} not zero, {blank} blank")
    for key, value in nonzero.items():
        lines.append(f"    {key:<40} {value}")
    lines.append(f"  flags     {len(report.flags)}")
    for flag in report.flags:
        lines.append(f"    {flag.code:<22} {flag.where or '':<14} {flag.detail}")
    return "\n".join(lines)


def untyped_summary(untyped: dict[str, int], limit: int = MAX_UNTYPED_LISTED) -> list[str]:
    """Lines naming the agencies typed 其他 (most reports first), with how to type them.

    :param untyped: agency name -> how many of its reports were ingested.
    :param limit: how many agencies to name; the rest are counted.
    """
    if not untyped:
        return []
    ranked = sorted(untyped.items(), key=lambda item: (-item[1], item[0]))
    lines = [f"agency type {OTHER_AGENCY_TYPE} (not in the taxonomy) for {len(ranked)} agencies; {TAXONOMY_HINT}:"]
    lines += [f"  {agency}  ({count} report{'s' if count > 1 else ''})" for agency, count in ranked[:limit]]
    if len(ranked) > limit:
        lines.append(f"  … and {len(ranked) - limit} more")
    return lines


def reparse_lines(summary, data_dir, limit: int = MAX_CHANGED_LISTED) -> list[str]:
    """Lines saying what parsing the stored reports again did (``ingest.ReparseSummary``): the
    counts, then the reports whose figures changed, most figures first.

    :param limit: how many reports to name; the rest are counted.
    """
    figures = sorted(((path, n) for path, n in summary.changed if n), key=lambda item: (-item[1], item[0]))
    lines = [f"parsed again {summary.reports} reports: {len(summary.changed)} changed ({len(figures)} of them "
             f"in their figures), {summary.unchanged} unchanged, failed {len(summary.failed)}  [{data_dir}]"]
    lines += [f"  {path}  ({n} figure{'s' if n > 1 else ''} changed)" for path, n in figures[:limit]]
    if len(figures) > limit:
        lines.append(f"  … and {len(figures) - limit} more")
    return lines
