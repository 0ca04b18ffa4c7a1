"""How to cite one report: the facts a citation needs, and its BibTeX and RIS records.

The permalink is the caller's (the library builds no URLs). Report text is
untrusted: every value is put on one line, BibTeX special characters are
escaped and braces can never be unbalanced, so a record always parses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import rispy

from .report import Report

_BLANKS = re.compile(r"\s+")
# BibTeX/LaTeX specials in free text, each as its escaped form; braces as commands, since BibTeX
# counts a brace even after a backslash and a lone \{ would leave the entry unbalanced
_BIBTEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "&": r"\&", "$": r"\$",
                    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIALS))
# characters a URL in a .bib file may not carry as they are (verbatim fields still need balanced braces)
_URL_UNSAFE = re.compile(r"[{}\\\s\"]")


@dataclass(frozen=True)
class Citation:
    """What a citation of one report says (None: not known)."""
    id: str
    agency: str | None
    title: str | None
    year: int | None
    published: str | None
    url: str | None          # the original page the file names (source.url)
    sha256: str | None       # of the stored file's bytes
    permalink: str           # this report's page

    @property
    def display_title(self) -> str:
        return self.title or " ".join(filter(None, (self.agency, f"{self.year}年" if self.year else None,
                                                     "政府信息公开工作年度报告"))) or self.id


def report_citation(report: Report, permalink: str) -> Citation:
    """The citation facts of ``report``; ``permalink`` is the address of its page."""
    def line(value):
        if not isinstance(value, str):
            return None
        return _BLANKS.sub(" ", value).strip() or None  # one line: a line break would end a RIS field
    return Citation(id=report.id, agency=line(report.agency), title=line(report.title), year=report.year,
                    published=line(report.published), url=line(report.source.get("url")),
                    sha256=line(report.source.get("sha256")), permalink=permalink)


def citation_text(citation: Citation) -> str:
    """One plain-text reference: agency. title. year. original URL. sha256. permalink."""
    parts = [citation.agency, f"《{citation.display_title}》", str(citation.year) if citation.year else None,
             citation.url, f"sha256: {citation.sha256}" if citation.sha256 else None, citation.permalink]
    return ". ".join(p for p in parts if p) + "."


def _bibtex_text(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_SPECIALS[m.group()], value)


def _bibtex_url(value: str) -> str:
    return _URL_UNSAFE.sub(lambda m: "%{:02X}".format(ord(m.group())), value)


def citation_to_bibtex(citation: Citation) -> str:
    """A @misc entry keyed ``xxgk-<id>``: the agency as a corporate author (in double braces)."""
    fields = [("author", f"{{{_bibtex_text(citation.agency)}}}" if citation.agency else None),
              ("title", _bibtex_text(citation.display_title)),
              ("year", str(citation.year) if citation.year else None),
              ("date", _bibtex_text(citation.published) if citation.published else None),
              ("url", _bibtex_url(citation.url) if citation.url else None),
              ("howpublished", r"\url{" + _bibtex_url(citation.permalink) + "}"),
              ("note", f"sha256: {citation.sha256}" if citation.sha256 else None)]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{xxgk-{citation.id},\n{body}\n}}\n"


def citation_to_ris(citation: Citation) -> str:
    """A RIS record of type RPRT (report); the original URL first, then the permalink."""
    record = {"type_of_reference": "RPRT", "id": f"xxgk-{citation.id}", "title": citation.display_title,
              "urls": [u for u in (citation.url, citation.permalink) if u]}
    if citation.agency:
        record["authors"] = [citation.agency]
    if citation.year:
        record["year"] = str(citation.year)
    if citation.published:
        record["date"] = citation.published
    if citation.sha256:
        record["notes"] = [f"sha256: {citation.sha256}"]
    return _RisRecord().formats([record])


class _RisRecord(rispy.RisWriter):
    """rispy's writer without its "1." counter line: one record, as reference managers export it."""

    def set_header(self, count: int) -> str:
        return ""
