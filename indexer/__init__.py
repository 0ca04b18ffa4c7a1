"""xxgk-search: parse, index and search government information-disclosure annual reports."""
