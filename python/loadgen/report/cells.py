"""The HTML pieces of a report page: escaping, milliseconds as the report
shows them, a table cell (text, tooltip, number or n/a), a table, a block of
LoadGen's multi-line text, and JSON that is safe inside ``<script>``."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from .charts import ms_text

NA = "n/a"


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def ms(ns: Any) -> str:
    """Nanoseconds as the milliseconds a report shows (charts.ms_text)."""
    try:
        return ms_text(float(ns))
    except (TypeError, ValueError):
        return "–"


def json_for_script(obj: Any) -> str:
    """JSON safe inside <script>: no '</' sequences, no HTML comment openers."""
    return json.dumps(obj, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


class Cell:
    """A table cell: its text, a tooltip (the raw figure), and whether it
    is a number (right-aligned) or n/a (a figure that does not apply)."""

    def __init__(self, text: Any, title: str = "", numeric: bool = False, na: bool = False) -> None:
        self.text, self.title, self.numeric, self.na = str(text), title, numeric, na

    def html(self) -> str:
        cls = " ".join(c for c, on in (("num", self.numeric), ("na", self.na)) if on)
        attrs = (f" class='{cls}'" if cls else "") + (f" title='{esc(self.title)}'" if self.title else "")
        return f"<td{attrs}>{esc(self.text)}</td>"


def na_cell(why: str) -> Cell:
    return Cell(NA, why, na=True)


def table(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] | None = None,
    numeric_from: int = 99,
    row_keys: Sequence[str] | None = None,
    table_id: str = "",
) -> str:
    out = [f"<table id='{esc(table_id)}'>" if table_id else "<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th scope='col'>{esc(h)}</th>" for h in header) + "</tr>")
    for r, row in enumerate(rows):
        cells = []
        for i, c in enumerate(row):
            cell = c if isinstance(c, Cell) else Cell(c, numeric=i >= numeric_from)
            cells.append(cell.html())
        key = f" data-key='{esc(row_keys[r])}'" if row_keys else ""
        out.append(f"<tr{key}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


_NS_FIGURE = re.compile(r"(estimate: )(\d+)(\s*)$")


def text_block(lines: Sequence[str], ns_figures: bool = False) -> str:
    """A multi-line text of LoadGen's as one block, line breaks kept. With
    ``ns_figures``, an 'estimate: N' figure (ns) is shown in ms, the raw ns in
    its tooltip."""
    out = []
    for ln in lines:
        m = _NS_FIGURE.search(ln) if ns_figures else None
        if m:
            out.append(
                esc(ln[: m.start(2)]) + f"<span title='{esc(m.group(2))} ns'>{esc(ms(m.group(2)))} ms</span>"
            )
        else:
            out.append(esc(ln))
    return "<pre class='textblock'>" + "\n".join(out) + "</pre>"
