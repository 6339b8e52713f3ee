"""The pack as ONE self-contained HTML file: inline CSS, plotly.js and its base map inlined, nothing fetched.

Opens offline from an e-mail attachment or a shared drive. The maps are the dashboard's own figures
(:mod:`app.figures.maps`, :mod:`app.figures.charts`), interactive (hover, zoom). plotly.js comes from the
``plotly`` Python package's bundled ``plotly.min.js``; its geo traces look for a world topojson, which is
put in ``window.PlotlyGeoAssets`` beforehand (the copy vendored in ``app/figures/assets/topojson``) so plotly
never tries to fetch it. Every table is also in the page as an HTML table (the maps' accessible alternative).
"""

from __future__ import annotations

import json
from html import escape

import pandas as pd

from app.figures import charts, maps
from app.report.content import REGION_PACK, PackContent, PackTable, cell_text
from app.views.wards import readable_rows

TOPOJSON = maps.TOPOJSON_DIR / "world_110m.json"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:0;line-height:1.4}
main{max-width:1100px;margin:0 auto;padding:0 20px 40px}
.marking{background:#0b0c0c;color:#fff;text-align:center;font-weight:bold;padding:6px;letter-spacing:.05em}
.marking.official{background:#505a5f}
h1{font-size:2rem;margin:24px 0 8px}h2{font-size:1.5rem;margin:36px 0 8px;border-top:2px solid #0b0c0c;
padding-top:12px}h3{font-size:1.1rem;margin:20px 0 6px}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:6px 0 16px}
caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border-bottom:1px solid #b1b4b6;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f2f1;border-bottom:2px solid #0b0c0c}td.num{text-align:right;font-variant-numeric:tabular-nums}
.figure{margin:8px 0 16px}.small{font-size:.8rem;color:#505a5f}.note{background:#f3f2f1;padding:8px 12px}
@media print{.figure{break-inside:avoid}h2{break-before:page}}
"""


def _json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":"), default=str).replace("</", "<\\/")


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def table_html(table: PackTable) -> str:
    frame = table.frame
    if frame.empty:
        return f'<h3>{escape(table.title)}</h3><p id="t-{escape(table.key)}" data-empty="true">None.</p>'
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="num">{escape(cell_text(v))}</td>' if isnum else f"<td>{escape(cell_text(v))}</td>"
            for v, isnum in zip(values, numeric)
        )
        rows.append(f"<tr>{cells}</tr>")
    note = f'<p class="small">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<table id="t-{escape(table.key)}"><caption>{escape(table.title)}</caption>{note}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _geometry(frame: pd.DataFrame) -> maps.MapGeometry:
    return maps.map_geometry(frame)


def _ward_figure(content: PackContent, geometry) -> dict:
    rows = readable_rows(content.ward_map, content.suppressed, content.approaching)
    figure = maps.choropleth(
        rows,
        _geometry(geometry.wards),
        level="ward",
        outlines=_geometry(geometry.las),
        height=620,
        approaching=content.approaching,
        bands=content.suppressed,
    )
    areas = figure["data"][maps.AREAS]
    if content.suppressed:
        areas["hovertemplate"] = maps.MEMBER_HOVER
    elif len(content.points):
        for change, name, symbol, size in (
            ("in use", "Property in use", "circle", 4),
            ("new", "New property this quarter", "triangle-up-open", 9),
        ):
            chosen = content.points[content.points["change"] == change]
            figure["data"].append(
                {
                    "type": "scattergeo",
                    "mode": "markers",
                    "name": name,
                    "lon": chosen["lon"].round(5).tolist(),
                    "lat": chosen["lat"].round(5).tolist(),
                    "hoverinfo": "name",
                    "marker": {"symbol": symbol, "size": size, "color": maps.INK},
                }
            )
    return figure


def _figures(content: PackContent, geometry) -> dict[str, list[tuple[str, dict]]]:
    trend = content.trend
    if content.kind == REGION_PACK:
        chart = charts.trends(trend, title=None, approaching=content.approaching)
    else:
        chart = charts.area_trend(trend, title=None, approaching=content.approaching)
    out = {"trend": [("fig-trend", chart)], "map": []}
    if content.kind == REGION_PACK and len(content.la_map):
        la_rows = content.la_map.copy()
        out["map"].append(
            (
                "fig-la-map",
                maps.choropleth(
                    la_rows, _geometry(geometry.las), level="la", height=560, approaching=content.approaching
                ),
            )
        )
    out["map"].append(("fig-ward-map", _ward_figure(content, geometry)))
    return out


def render(content: PackContent, geometry) -> bytes:
    marking_class = "marking" + ("" if content.restricted else " official")
    banner = f'<div class="{marking_class}" role="note">{escape(content.marking)}</div>'
    generated = content.generated_at.strftime("%d %B %Y %H:%M")
    facts = "".join(f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in content.facts)
    parts = [
        f"<h1>{escape(content.title)}</h1>",
        "<p>Evidence for the quarterly strategic meeting with the accommodation provider.</p>",
        f'<p class="small">Position at {escape(content.month)}. Made {escape(generated)} for '
        f"{escape(content.user)} ({escape(content.role)}). Protective marking: {escape(content.marking)}.</p>",
        '<p class="note">'
        + (
            "This pack contains restricted data (ward and sector figures, property addresses). "
            "Handle as OFFICIAL-SENSITIVE: need to know only; do not forward."
            if content.restricted
            else "Disclosure-controlled pack: no addresses, property locations or sector figures; "
            'counts under 5 read "fewer than 5" and ward counts are rounded to the nearest 5.'
        )
        + "</p>",
        f'<table id="t-facts"><caption>Key facts</caption><tbody>{facts}</tbody></table>',
    ]
    scripts = []
    figures = _figures(content, geometry)
    for section in content.sections:
        parts.append(f'<section id="s-{escape(section.key)}"><h2>{escape(section.title)}</h2>')
        parts += [f"<p>{escape(line)}</p>" for line in section.text]
        for element_id, figure in figures.get(section.figure or "", []):
            parts.append(f'<div class="figure" id="{element_id}"></div>')
            scripts.append(
                f"Plotly.newPlot({_json(element_id)},{_json(figure['data'])},"
                f"{_json(figure['layout'])},{_json(CONFIG)});"
            )
        parts += [table_html(t) for t in section.tables]
        if section.key == "sources":
            parts.append(
                '<h3>Licences and attribution</h3><ul id="attribution">'
                + "".join(f"<li>{escape(line)}</li>" for line in content.attribution)
                + "</ul>"
            )
        parts.append("</section>")
    topojson = (TOPOJSON.read_text(encoding="utf-8") if TOPOJSON.exists() else "{}").replace("</", "<\\/")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(content.title)}</title><style>{CSS}</style>"
        f'<script>window.PlotlyGeoAssets={{topojson:{{"world_110m":{topojson}}}}};</script>'
        f"<script>{plotly_js()}</script></head><body>{banner}<main>{''.join(parts)}</main>{banner}"
        f"<script>{''.join(scripts)}</script></body></html>\n"
    )
    return page.encode("utf-8")
