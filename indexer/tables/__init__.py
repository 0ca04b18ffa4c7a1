"""Tables 二, 三, 四 -> figure keys: the mapper at the heart of the parser.

    document_to_items   blocks -> labelled value rows (items.py)
    find_regions        where each table lies, by its own headers
    items_to_t2/t3/t4   items -> figures, raw cells, flags (table2/3/4.py)
    digits.py, money.py run-together digits and money units

Flags raised here (``where`` names the cells: a row prefix marks every cell of that row):
    template_unknown (None), missing_table_<n> ("t2"/"t3"/"t4"),
    digits_ambiguous ("t2.<row>", "t3.<row>" or "t4"): run-together digits with no single reading,
    rows_unaligned ("t3.<row>"): value rows that lost their labels and cannot be placed,
    rows_merged ("t3.other"): one （六）其他处理 row for the 2021 format's three,
    rows_missing ("t2"/"t3"): rows of a found table that are not in the document,
    cell_unreadable (the figure key): a value cell that is not a number,
    unit_assumed (the money key): an amount without unit in cell or header, taken as 万元.
"""
from .figures import FigureResult, document_to_figures

__all__ = ["FigureResult", "document_to_figures"]
