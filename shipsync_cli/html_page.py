"""One self-contained HTML page of numbers, tables and inline SVG bar charts: the sample day's ``reports/run.html``
and ``shipsync report --html``.

Charts are inline SVG bars with their numbers written beside them, each next to a table. There is no script, no
network, no external font or style sheet: the page opens offline, as a file or an e-mail attachment. Every string
is escaped. Every number is an element whose ``data-key`` is its dotted path in the report's JSON (list items by
index), so a test can read the page back against the JSON:

- no ``data-agg``: the value at that path; ``data-agg="len"``: the length of the list or object there;
  ``data-agg="sum"``: the sum of its values (of each item's ``data-field`` when given); ``data-agg="count"``: how
  many of its values are lists holding ``data-contains``, or objects whose ``data-field`` is ``data-equals``;
- ``data-unit="paise"``: an amount in paise shown in rupees; ``data-unit="rupees"``: rupees shown to the paisa.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["count", "number", "rupees", "paise"]
Tone = Literal["", "bad"]
PathPart = str | int

# The bar chart's geometry, in SVG user units (= CSS pixels).
_LABEL_W, _BAR_W, _NUMBER_W, _ROW, _PAD = 250, 240, 100, 22, 6
_LABEL_CHARS = 36
_DASH = "\N{EN DASH}"

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430; margin: 0 auto;
       max-width: 1180px; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d7dce3; }
h3 { font-size: 14px; margin: 14px 0 6px; }
nav a { margin-right: 12px; color: #2f5f98; }
.ok { color: #1f7a3a; } .not-ok { color: #b3261e; }
.pair { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; margin: 8px 0 16px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 2px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1d2430; }
svg rect { fill: #4a7ab5; } svg rect.bad { fill: #c2473a; } svg rect.negative { fill: #c98a2b; }
svg line { stroke: #8a94a3; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e7ec; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty, p.empty { color: #6b7480; font-style: italic; }
p.note { color: #4d5662; max-width: 900px; }
li { margin-bottom: 2px; }
"""


@dataclass(frozen=True)
class Num:
    """A number on the page and where in the report it came from (see the module docstring)."""

    path: tuple[PathPart, ...]
    value: int | float | None
    unit: Unit = "count"
    agg: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> float:
        """The bar's length, in the unit the number is shown in."""
        if self.value is None:
            return 0.0
        return self.value / 100 if self.unit == "paise" else float(self.value)


@dataclass(frozen=True)
class Bar:
    label: str
    num: Num
    tone: Tone = ""


Cell = str | Num | None


# --------------------------------------------------------------------------- numbers and where they come from


def _value_at(report: dict[str, Any], path: Sequence[PathPart]) -> Any:
    node: Any = report
    for part in path:
        node = node[part]
    return node


def at(report: dict[str, Any], *path: PathPart, unit: Unit = "count") -> Num:
    return Num(path, _value_at(report, path), unit)


def length(report: dict[str, Any], *path: PathPart) -> Num:
    return Num(path, len(_value_at(report, path)), agg=(("agg", "len"),))


def total(report: dict[str, Any], *path: PathPart, of: str | None = None, unit: Unit = "count") -> Num:
    node = _value_at(report, path)
    items = node.values() if isinstance(node, dict) else node
    total = sum(item[of] if of else item for item in items)
    return Num(path, total, unit, (("agg", "sum"), *((("field", of),) if of else ())))


def count_containing(report: dict[str, Any], *path: PathPart, value: str) -> Num:
    count = sum(1 for item in _value_at(report, path).values() if value in item)
    return Num(path, count, agg=(("agg", "count"), ("contains", value)))


def count_where(report: dict[str, Any], *path: PathPart, field: str, equals: str) -> Num:
    count = sum(1 for item in _value_at(report, path) if item.get(field) == equals)
    return Num(path, count, agg=(("agg", "count"), ("field", field), ("equals", equals)))


def shown(num: Num) -> str:
    value = num.value
    if value is None:
        return _DASH
    if num.unit == "paise":
        return f"{value / 100:,.2f}"
    if num.unit == "rupees":
        return f"{value:,.2f}"
    return f"{value:,}"


# --------------------------------------------------------------------------- HTML and SVG pieces


def escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _num_attrs(num: Num) -> str:
    attrs = [("key", ".".join(str(part) for part in num.path)), *num.agg]
    if num.unit in ("paise", "rupees"):
        attrs.append(("unit", num.unit))
    return " ".join(f'data-{name}="{escape(value)}"' for name, value in attrs)


def _cell(cell: Cell) -> str:
    if isinstance(cell, Num):
        return f'<td class="n" {_num_attrs(cell)}>{escape(shown(cell))}</td>'
    if cell is None:
        return f'<td class="n">{_DASH}</td>'
    return f"<td>{escape(cell)}</td>"


def table(head: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A table; with no ``head``, a list of labelled numbers."""
    header = "".join(f"<th>{escape(title)}</th>" for title in head)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td class="empty" colspan="{max(len(head), 1)}">none</td></tr>'
    thead = f"<thead><tr>{header}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"


def chart(title: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars from a zero line (negative amounts, a loss, go left of it), each number written after it."""
    if not bars:
        return f'<p class="empty">{escape(title)}: nothing to draw.</p>'
    sizes = [bar.num.size for bar in bars]
    low, high = min(0.0, *sizes), max(0.0, *sizes)
    span = (high - low) or 1.0
    zero = _LABEL_W + _BAR_W * -low / span
    width, height = _LABEL_W + _BAR_W + _NUMBER_W, _ROW * len(bars) + _PAD
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for row, (bar, size) in enumerate(zip(bars, sizes, strict=True)):
        top = _PAD + row * _ROW
        end = _LABEL_W + _BAR_W * (size - low) / span
        tone = bar.tone or ("negative" if size < 0 else "")
        css_class = f' class="{tone}"' if tone else ""
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{top + 12}" text-anchor="end">{escape(_short(bar.label))}</text>'
            f'<rect x="{min(zero, end):.1f}" y="{top}" width="{abs(end - zero):.1f}" height="{_ROW - 8}"{css_class}/>'
            f'<text x="{max(zero, end) + 6:.1f}" y="{top + 12}" {_num_attrs(bar.num)}>{escape(shown(bar.num))}</text>'
        )
    parts.append(f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}"/></svg>')
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"


def pair(*parts: str) -> str:
    return f'<div class="pair">{"".join(parts)}</div>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def document(title: str, body: str) -> str:
    """The whole page: ``body`` (sections) under ``title``, with the page's one style sheet inline."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )
