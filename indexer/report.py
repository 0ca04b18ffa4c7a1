"""The canonical report (docs/report-format.md) and its JSON form."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REGION_KEYS = ("province", "city", "county", "adcode")


def empty_region() -> dict[str, str | None]:
    """A region with every key and no value: where nothing is known of a report's place."""
    return dict.fromkeys(REGION_KEYS)


@dataclass
class Section:
    """One of the six parts; ``start``/``end`` are offsets into the report text."""
    n: int
    heading: str
    text: str
    start: int
    end: int


@dataclass
class Flag:
    """A finding about the report (never a parse failure)."""
    code: str
    where: str | None = None
    detail: str = ""


@dataclass
class Report:
    id: str
    source: dict[str, Any]
    title: str | None = None
    agency: str | None = None
    # the agency across years: region and normalised name (indexer/agencies.py)
    agency_key: str | None = None
    year: int | None = None
    template: str | None = None
    region: dict[str, str | None] = field(default_factory=empty_region)
    level: str | None = None
    agency_type: str | None = None
    published: str | None = None
    sections: list[Section] = field(default_factory=list)
    figures: dict[str, float | int | None] = field(default_factory=dict)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `xxgk parse --json` prints and the API returns."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        data = dict(data)
        data["sections"] = [Section(**s) for s in data.get("sections", [])]
        data["flags"] = [Flag(**f) for f in data.get("flags", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def metadata_columns(self) -> dict[str, Any]:
        """The report's metadata flattened to one level (export rows, store rows)."""
        region = self.region or {}
        return {
            "id": self.id,
            "agency": self.agency,
            "agency_key": self.agency_key,
            "year": self.year,
            **{key: region.get(key) for key in REGION_KEYS},
            "level": self.level,
            "agency_type": self.agency_type,
            "template": self.template,
            "title": self.title,
            "published": self.published,
            "synthetic": bool(self.source.get("synthetic")),
        }

    def section(self, n: int) -> Section | None:
        return next((s for s in self.sections if s.n == n), None)

    def flag_codes(self) -> list[str]:
        return sorted({f.code for f in self.flags})
