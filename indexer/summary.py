"""A readable text summary of one canonical report (for `xxgk parse`)."""
from __future__ import annotations

from .report import Report


def report_summary(report: Report) -> str:
    region = " ".join(v for k, v in report.region.items() if v and k != "adcode") or "-"
    lines = [
        f"{report.title or '(no title)'}",
        f"  id        {report.id}",
        f"  agency    {report.agency or '-'}  (type {report.agency_type or '-'}, level {report.level or '-'})",
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
