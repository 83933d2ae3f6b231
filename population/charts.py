"""Inline SVG charts for the reports of a population (`policy report`,
`policy diff --format html`): no script, no font file, no external
resource, the same numbers give the same bytes.

Every label is given by the caller, already in the reader's language; the
charts only draw. Bars carry a <title> (the exact value) that a browser
shows on hover and a screen reader reads.
"""

from __future__ import annotations

import html
from decimal import ROUND_CEILING, Decimal

from dsl.visible import visible

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

CSS = """
svg .grid{stroke:#e5e5e5}svg .axis{stroke:#999}svg .track{fill:#eee}
svg text{font-size:12px;fill:#333}svg .yl{text-anchor:end}svg .t{font-size:13px;font-weight:600}
svg .xl{text-anchor:middle;font-size:11px}svg .gl{text-anchor:middle;font-size:12px;font-weight:600}
svg .vl{font-size:11px}svg .vl.neg{text-anchor:end}
"""


def e(text) -> str:
    """A value in HTML: escaped, and its control and bidi characters shown as
    escapes (dsl.visible), so a value from a decisions file cannot reorder or
    hide what the page says."""
    return html.escape(visible(str(text)), quote=True)


# the marks that make a link, an image or code, or end a table cell (emphasis
# marks are harmless, and ids such as small_2019 stay readable in the source)
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`[]|"})


def md(text) -> str:
    """A value in Markdown: HTML escaped (a Markdown renderer passes raw HTML
    through), link, image, code and cell marks escaped (nothing can be
    injected), control characters made visible."""
    return html.escape(visible(str(text)), quote=False).translate(_MD_SPECIAL)


def nice_step(maximum: Decimal, ticks: int = 5) -> Decimal:
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    base = Decimal(10) ** raw.adjusted()
    for m in (1, 2, 5, 10):
        if raw <= m * base:
            return m * base
    return 10 * base  # pragma: no cover


def tick_text(v: Decimal) -> str:
    v = v.normalize()
    if v == v.to_integral_value():
        return f"{int(v):,}"
    return f"{v:,f}"


def stacked_columns(title: str, unit: str, groups, series, value_text) -> str:
    """Columns stacked by series, in groups (e.g. quarters by year).

    ``groups``: [(group label, [(column label, {series key: value})])];
    ``series``: [(key, legend label)] in stacking order; ``value_text``:
    Decimal -> the exact value as shown on hover. Each column's label sits
    centred under it, each group's label centred under its columns.
    """
    colours = {k: PALETTE[i % len(PALETTE)] for i, (k, _label) in enumerate(series)}
    columns = [(g, c, values) for g, cols in groups for c, values in cols]
    totals = [
        sum((values.get(k, Decimal(0)) for k, _l in series), Decimal(0))
        for _g, _c, values in columns
    ]
    top = max(totals, default=Decimal(0))
    step = nice_step(top)
    ymax = (
        step * max(1, int((top / step).to_integral_value(rounding=ROUND_CEILING)))
        if top > 0
        else step * 5
    )
    left, right, top_pad, bottom = 80, 20, 30, 44
    bar_w, gap, group_gap = 30, 14, 16
    width = left + right + len(columns) * (bar_w + gap) + len(groups) * group_gap
    width = max(width, 760)
    plot_h = 220
    height = top_pad + plot_h + bottom
    legend_rows = (len(series) + 2) // 3
    total_h = height + 22 * legend_rows + 6

    def y(v: Decimal) -> str:
        return f"{top_pad + plot_h - float(v / ymax) * plot_h:.1f}"

    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
            f'viewBox="0 0 {width} {total_h}" role="img" aria-label="{e(title)}">'
        ),
        f"<title>{e(title)}</title>",
        f'<text x="{left}" y="18" class="t">{e(title)}（{e(unit)}）</text>'
        if _cjk(title)
        else f'<text x="{left}" y="18" class="t">{e(title)} ({e(unit)})</text>',
    ]
    tick = Decimal(0)
    while tick <= ymax:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick)}" y2="{y(tick)}" class="grid"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{float(y(tick)) + 4:.1f}" class="yl">{tick_text(tick)}</text>'
        )
        tick += step
    x = left + group_gap // 2
    base_y = top_pad + plot_h
    for g, cols in groups:
        start = x
        for c, values in cols:
            # the column's slot (its label is centred under it, bars or none)
            out.append(
                f'<rect class="col" x="{x}" y="{top_pad}" width="{bar_w}" '
                f'height="{plot_h}" fill="none"/>'
            )
            stack = Decimal(0)
            for k, label in series:
                v = values.get(k, Decimal(0))
                if v <= 0:
                    continue
                y0, y1 = y(stack + v), y(stack)
                out.append(
                    f'<rect x="{x}" y="{y0}" width="{bar_w}" '
                    f'height="{float(y1) - float(y0):.1f}" fill="{colours[k]}">'
                    f"<title>{e(g)} {e(c)} {e(label)}: {e(value_text(v))}</title></rect>"
                )
                stack += v
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{base_y + 15}" class="xl">{e(c)}</text>')
            x += bar_w + gap
        middle = (start + x - gap) / 2
        out.append(f'<text x="{middle:.1f}" y="{base_y + 33}" class="gl">{e(g)}</text>')
        out.append(
            f'<line x1="{x - gap / 2 + group_gap / 2:.1f}" x2="{x - gap / 2 + group_gap / 2:.1f}" '
            f'y1="{top_pad}" y2="{base_y + 36}" class="grid"/>'
        )
        x += group_gap
    for i, (k, label) in enumerate(series):
        lx = left + (i % 3) * 230
        ly = height + 4 + (i // 3) * 22
        out.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colours[k]}"/>'
            f'<text x="{lx + 16}" y="{ly}">{e(label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def progress_bars(title: str, rows) -> str:
    """One bar per target: ``rows`` = [(label, done, target, text, reached)]."""
    width, row_h, left, bar_max = 720, 46, 10, 520
    height = 20 + row_h * len(rows)
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}">'
        ),
        f"<title>{e(title)}</title>",
    ]
    for i, (label, done, target, text, reached) in enumerate(rows):
        y0 = 10 + i * row_h
        frac = min(Decimal(1), Decimal(done) / Decimal(target)) if target else Decimal(0)
        colour = "#2ca02c" if reached else "#1f77b4"
        out.append(f'<text x="{left}" y="{y0 + 10}">{e(label)}</text>')
        out.append(f'<rect x="{left}" y="{y0 + 16}" width="{bar_max}" height="16" class="track"/>')
        out.append(
            f'<rect x="{left}" y="{y0 + 16}" width="{float(frac) * bar_max:.1f}" '
            f'height="16" fill="{colour}"><title>{e(text)}</title></rect>'
        )
        out.append(f'<text x="{left + bar_max + 8}" y="{y0 + 29}">{e(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def diverging_bars(title: str, unit: str, rows, value_text) -> str:
    """A horizontal bar per row from a zero line: increases to the right
    (green), decreases to the left (red); ``rows`` = [(label, Decimal)]."""
    label_w, bar_half, right = 260, 220, 110
    row_h = 24
    width = label_w + 2 * bar_half + right
    height = 40 + row_h * max(1, len(rows))
    top = max((abs(v) for _l, v in rows), default=Decimal(0))
    scale = (Decimal(bar_half) / top) if top > 0 else Decimal(0)
    zero = label_w + bar_half
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}">'
        ),
        f"<title>{e(title)}</title>",
        f'<text x="10" y="18" class="t">{e(title)}（{e(unit)}）</text>'
        if _cjk(title)
        else f'<text x="10" y="18" class="t">{e(title)} ({e(unit)})</text>',
        f'<line x1="{zero}" x2="{zero}" y1="28" y2="{height - 4}" class="axis"/>',
    ]
    for i, (label, v) in enumerate(rows):
        y0 = 32 + i * row_h
        w = float(abs(v) * scale)
        shown = value_text(v)
        out.append(f'<text x="{label_w - 8}" y="{y0 + 13}" class="yl">{e(label)}</text>')
        if v > 0:
            out.append(
                f'<rect x="{zero}" y="{y0 + 2}" width="{w:.1f}" height="16" '
                f'fill="#2ca02c"><title>{e(label)}: {e(shown)}</title></rect>'
            )
            out.append(f'<text x="{zero + w + 4:.1f}" y="{y0 + 14}" class="vl">{e(shown)}</text>')
        elif v < 0:
            out.append(
                f'<rect x="{zero - w:.1f}" y="{y0 + 2}" width="{w:.1f}" height="16" '
                f'fill="#d62728"><title>{e(label)}: {e(shown)}</title></rect>'
            )
            out.append(
                f'<text x="{zero - w - 4:.1f}" y="{y0 + 14}" class="vl neg">{e(shown)}</text>'
            )
        else:
            out.append(f'<text x="{zero + 4}" y="{y0 + 14}" class="vl">{e(shown)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)
