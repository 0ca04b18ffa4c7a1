"""What the load test asks, kept apart from locust so that tests can read it without locust's
monkey-patching (tests/load/locustfile.py uses it; tests/test_soak.py checks it)."""

# Words that occur in generated reports (tests/test_soak.py checks each one occurs in them).
VOCABULARY = ("公开", "信访", "申请", "行政复议", "行政诉讼", "政府信息", "主动公开", "依申请公开",
              "年度报告", "工作", "政策解读", "政务公开", "网站", "依法", "答复", "办理", "问题", "改进")
# Facets of the search result that are also filters of the query language (docs/query-language.md).
FILTER_FACETS = {"type": "type", "year": "year", "province": "province", "level": "level"}
COMPARISONS = ("applications>0", "applications>=10", "review>0", "litigation>0", "granted>0")
# Every kind of request, as locust names it in its statistics.
KINDS = ("search+facets", "filtered", "paging", "more-facets", "report", "stats", "export.csv", "api/search",
         "api/report")
# How often each kind is asked, relative to the others (locust's task weights).
WEIGHTS = {"search+facets": 30, "filtered": 15, "paging": 10, "more-facets": 5, "report": 10, "stats": 5,
           "export.csv": 3, "api/search": 10, "api/report": 5}
