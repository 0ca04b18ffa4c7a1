"""The domain's names and numbers, each stated once: every other module imports them from here.

The report's parts and their canonical headings, the report id rule, the
levels and templates, the query language's filter fields, the facets and
the aliases the interfaces offer for sorting and summing
(docs/report-format.md, docs/query-language.md).
"""
from __future__ import annotations

import re

# The six parts (一 … 六) of every report, numbered 1 to 6.
SECTION_NUMBERS = range(1, 7)
CANONICAL_HEADINGS = {1: "一、总体情况", 2: "二、主动公开政府信息情况", 3: "三、收到和处理政府信息公开申请情况",
                      4: "四、政府信息公开行政复议、行政诉讼情况", 5: "五、存在的主要问题及改进情况", 6: "六、其他需要报告的事项"}

# A report's id is the first 16 hex characters of its file's sha256.
REPORT_ID_LENGTH = 16
REPORT_ID = re.compile(rf"[0-9a-f]{{{REPORT_ID_LENGTH}}}")


def report_id(sha256: str) -> str:
    """The id of the report whose file has this sha256 hex digest."""
    return sha256[:REPORT_ID_LENGTH]


LEVELS = ("central", "province", "city", "county", "township")
# A place's people's government, and the office of a street (a township's own government).
GOVERNMENT = "人民政府"
STREET_OFFICE = "办事处"
TEMPLATES = ("2019", "2021")

# field of the query language (`type:信访`) -> the index field it filters on
FILTER_FIELDS = {
    "year": "year", "type": "type", "province": "province", "city": "city", "county": "county",
    "level": "level", "agency": "agency", "agency_key": "agency_key", "template": "template", "flag": "flags",
    "section": "parts", "synthetic": "synthetic",
}


def filter_token(field: str, value: str) -> str:
    """The query filter ``field:value``, quoting a value with spaces or quotes in it."""
    value = str(value)
    if re.search(r'[\s"]', value):
        value = '"' + value.replace('"', "") + '"'
    return f"{field}:{value}"


# facet name (a key of a search result's "facets") -> the query-language field a value of it filters on
FACETS = {"year": "year", "type": "type", "province": "province", "level": "level",
          "template": "template", "flags": "flag", "agency": "agency_key"}


def facet_index_field(facet: str) -> str:
    """The index field a facet counts the values of."""
    return FILTER_FIELDS[FACETS[facet]]


# The aliases the interfaces sort by ("sort by figure") and sum in the statistics, in the order shown
# (the rates have no sum: the statistics show their means instead).
HEADLINE_ALIASES = ("applications", "granted", "denied", "review", "litigation", "procurement_count",
                    "procurement_amount", "fees_amount", "grant_rate", "denial_rate", "correction_rate")
