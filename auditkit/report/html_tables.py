"""Report tables as HTML that fits the page: compact cells, wrapping headers, wide tables split, long ones folded.

A report is read in a browser window about 1,000 px wide and printed on paper narrower still,
so a table must not run off the side (the browser then hides its last columns behind a
scrollbar). :func:`table_html`:

* writes each cell compactly: floats to ``digits`` decimals, whole numbers with thousands
  separators, p-values as ``< 0.001`` (:func:`auditkit.text.p_value`), yes/no for flags,
  ``undefined`` for a missing number;
* writes headers with spaces for underscores, so a long name wraps instead of widening its column;
* estimates the narrowest width the table can take (the longest unbreakable word of each column)
  and, when that is wider than :data:`TABLE_WIDTH_PX`, splits the columns over several tables that
  repeat the leading label columns (the same rows, more columns);
* shows the first :data:`PREVIEW_ROWS` rows of a table longer than :data:`FOLD_ROWS` and folds
  the others into a ``<details>`` element whose summary says how many there are.

Every cell is HTML-escaped. Nothing is computed: the cells are the frame's values, formatted.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from typing import Any

import pandas as pd

from auditkit.report.summary import NO_TEX
from auditkit.text import p_value

# The report's tables are at most 943 px wide in a 1024 px window; the estimate (min_widths) runs about 8% above
# the narrowest width Chromium lays a table out in, so 940 estimated pixels leave room.
TABLE_WIDTH_PX = 940
FOLD_ROWS = 15  # a table with more rows shows PREVIEW_ROWS of them and folds the rest
PREVIEW_ROWS = 10
MAX_KEY_COLUMNS = 2  # leading label columns repeated in every part of a split table
P_COLUMNS = frozenset({"p", "adjusted p", "p value", "p adjusted"})
ID_COLUMNS = frozenset({"row", "row id"})  # whole numbers that name a row, written without separators
LEFT = ' style="text-align:left"'
NBSP = "\u00a0"  # keeps "< 0.001" and "0.1 to 0.3" on one line
# Widths of the report's font (DejaVu Sans, 13 px, where the report is made): pixels per character, conservative.
CHAR_PX, BOLD_CHAR_PX, CELL_PADDING_PX = 7.6, 8.4, 13.0
_BREAKS = re.compile(r"[ \t\n]+|(?<=[^\W\d]-)(?=[^\W\d])")  # browsers wrap at spaces, after a hyphen between letters
_NUMBER = r"[<>]?\s?[-+−]?[\d,]*\.?\d+(?:e[-+]?\d+)?"
_NUMBER_LIKE = re.compile(rf"{_NUMBER}(?:\sto\s{_NUMBER})?|undefined|none|yes|no|")  # right-aligned cells


def cell_text(value: Any, digits: int = 3, *, is_p: bool = False, is_id: bool = False) -> str:
    r"""One cell as text: see the module docstring.

    Examples
    --------
    >>> cell_text(0.12345), cell_text(12538), cell_text(True), cell_text(None), cell_text(float("nan"))
    ('0.123', '12,538', 'yes', 'undefined', 'undefined')
    >>> cell_text(2.0e-144, is_p=True), cell_text(0.0423, is_p=True), cell_text(12538, is_id=True)
    ('<\xa00.001', '0.042', '12538')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "undefined"
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value)) if is_id else f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return p_value(float(value)).replace(" ", NBSP) if is_p else f"{float(value):.{digits}f}"
    return str(value)


def interval_text(low: Any, high: Any, digits: int = 3, *, one_line: bool = True) -> str:
    r"""An interval as one cell: ``"0.169 to 0.193"``, kept on one line unless ``one_line`` is False (``"none"``
    without bounds). A table too wide for its columns lets its intervals wrap instead of splitting.

    Examples
    --------
    >>> interval_text(0.16879, 0.19254), interval_text(0.1, 0.2, one_line=False), interval_text(None, None)
    ('0.169\xa0to\xa00.193', '0.100 to 0.200', 'none')
    """
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)):
        return "none"
    space = NBSP if one_line else " "
    return f"{cell_text(low, digits)}{space}to{space}{cell_text(high, digits)}"


def header_text(column: Any) -> str:
    """A column name as a header that can wrap: underscores become spaces.

    Examples
    --------
    >>> header_text("negative_predictive_value")
    'negative predictive value'
    """
    return str(column).replace("_", " ")


def text_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``frame`` with every cell as its text (:func:`cell_text`) and headers that wrap (:func:`header_text`).

    Examples
    --------
    >>> text_frame(pd.DataFrame({"group": ["a"], "n": [4824], "adjusted p": [0.5], "small_group": [False]}))
      group      n adjusted p small group
    0     a  4,824      0.500          no
    """
    columns = {}
    for column in frame.columns:
        header = header_text(column)
        columns[header] = [cell_text(v, digits, is_p=header in P_COLUMNS, is_id=header in ID_COLUMNS)
                           for v in frame[column].tolist()]
    return pd.DataFrame(columns, index=frame.index, dtype=object)


def _word_px(text: str, bold: bool = False) -> float:
    words = _BREAKS.split(text)
    return max((len(w) for w in words), default=0) * (BOLD_CHAR_PX if bold else CHAR_PX)


def min_widths(texts: pd.DataFrame) -> list[float]:
    """The narrowest each column of a text frame can be, in pixels: its longest unbreakable word, padded.

    Examples
    --------
    >>> min_widths(pd.DataFrame({"selection rate": ["0.080"], "group": ["race=Amer-Indian-Eskimo"]}))
    [88.6, 89.0]
    """
    return [round(CELL_PADDING_PX + max([_word_px(str(column), bold=True)]
                                        + [_word_px(t) for t in texts[column]]), 1) for column in texts.columns]


def _is_numeric(cells: pd.Series) -> bool:
    return all(_NUMBER_LIKE.fullmatch(t) for t in cells)


def column_parts(texts: pd.DataFrame, width: float = TABLE_WIDTH_PX) -> list[list[str]]:
    """The columns of each table a wide text frame is split into; the leading label columns are in every part.

    Label columns are the leading columns whose cells are not numbers (at most :data:`MAX_KEY_COLUMNS`).
    The other columns are shared out in order over as few tables as fit, of about equal width.

    Examples
    --------
    >>> texts = text_frame(pd.DataFrame({"group": ["a"], **{f"metric_{i}": [0.5] for i in range(20)}}))
    >>> [len(part) for part in column_parts(texts)], column_parts(texts)[1][:2]
    ([11, 11], ['group', 'metric 10'])
    """
    widths = dict(zip(texts.columns, min_widths(texts), strict=True))
    if sum(widths.values()) <= width:
        return [list(texts.columns)]
    keys: list[str] = []
    for column in texts.columns[:MAX_KEY_COLUMNS]:
        if _is_numeric(texts[column]):
            break
        keys.append(column)
    rest = [c for c in texts.columns if c not in keys]
    room = max(width - sum(widths[k] for k in keys), width / 2)
    count = len(_packed(rest, widths, room))
    even = sum(widths[c] for c in rest) / count  # the narrowest room that still gives `count` parts: even parts
    while len(_packed(rest, widths, even)) > count:
        even += 10.0
    return [keys + part for part in _packed(rest, widths, min(even, room))]


def _packed(columns: list[str], widths: dict[str, float], room: float) -> list[list[str]]:
    """``columns`` in order, a new part whenever the next one would not fit ``room`` pixels."""
    parts: list[list[str]] = [[]]
    used = 0.0
    for column in columns:
        if parts[-1] and used + widths[column] > room + 0.5:
            parts.append([])
            used = 0.0
        parts[-1].append(column)
        used += widths[column]
    return parts


def table_html(frame: pd.DataFrame, digits: int = 3, *, width: float = TABLE_WIDTH_PX) -> str:
    """``frame`` as escaped HTML tables that fit ``width`` pixels, long ones folded (see the module docstring).

    Text columns are aligned left, numbers right.

    Examples
    --------
    >>> print(table_html(pd.DataFrame({"group": ["a&b"], "n": [4824], "adjusted_p": [0.0423]})))
    <div class='auditkit-table tex2jax_ignore mathjax_ignore'><table class="dataframe auditkit">
    <thead><tr><th style="text-align:left">group</th><th>n</th><th>adjusted p</th></tr></thead>
    <tbody>
    <tr><td style="text-align:left">a&amp;b</td><td>4,824</td><td>0.042</td></tr>
    </tbody></table></div>
    >>> long = table_html(pd.DataFrame({"bin": range(40)}))
    >>> long.count("<tr>") - long.count("<thead>"), "<summary>Show the other 30 rows (40 in all)</summary>" in long
    (40, True)
    """
    texts = text_frame(frame, digits)
    html = [_folded(texts[columns], "" if i == 0 else "Continued: the same rows, more columns.")
            for i, columns in enumerate(column_parts(texts, width))]
    return f"<div class='auditkit-table {NO_TEX}'>" + "".join(html) + "</div>"


def _folded(texts: pd.DataFrame, caption: str) -> str:
    """The rows of ``texts`` as a table; past :data:`FOLD_ROWS` rows, those after the first few in ``<details>``."""
    left = [not _is_numeric(texts[c]) for c in texts.columns]
    if len(texts) <= FOLD_ROWS:
        return _table(texts, left, caption)
    rest = len(texts) - PREVIEW_ROWS
    return (_table(texts.iloc[:PREVIEW_ROWS], left, caption)
            + f"<details class='auditkit-more-rows'><summary>Show the other {rest} rows ({len(texts)} in all)"
              f"</summary>{_table(texts.iloc[PREVIEW_ROWS:], left, '')}</details>")


def _table(texts: pd.DataFrame, left: list[bool], caption: str) -> str:
    """An HTML table of text cells (escaped); ``left`` marks the columns aligned left."""
    def cells(tag: str, values: list[str]) -> str:
        return "".join(f"<{tag}{LEFT if is_left else ''}>{html.escape(v)}</{tag}>"
                       for v, is_left in zip(values, left, strict=True))

    head = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    body = "\n".join(f"<tr>{cells('td', list(row))}</tr>" for row in texts.itertuples(index=False, name=None))
    return (f'<table class="dataframe auditkit">{head}\n<thead><tr>{cells("th", list(texts.columns))}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")
