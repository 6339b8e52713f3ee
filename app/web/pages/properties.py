"""Properties (officers): provider properties over the wards, what changed, where they cluster, reconciliation.

The list of properties is one paged table (``properties-list``) cut on the server: the browser sends the page,
sort and filter, and receives 25 rows (:mod:`app.web.tables`), so the page stays short and fast for a long list.
The secondary tables sit in collapsed sections below it.

Property-level: every callback reads only the properties of LAs the user may see at property level
(:meth:`~app.security.roles.Scope.filter_properties`; officers: their own LA; members: none, 403) and
shows them through :func:`~app.security.roles.view_properties`, which records the view in the audit log.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, Patch, State, callback, ctx, dash_table, dcc, html

from app.cluster.property_changes import diff_quarters
from app.cluster.reconcile import sector_reconciliation
from app.figures import maps
from app.figures import properties as figures
from app.periods import previous_quarter, quarter_end
from app.security.roles import Forbidden, require, view_properties
from app.web import data, tables
from app.web.tables import TEXT, WHOLE

dash.register_page(__name__, path="/properties", name="Properties", order=3, title="Properties - Dispersal Monitor")

ALL = "all"
TABLE_LIMIT = 5000
PAGE_SIZE = 25
LIST_COLUMNS = [
    {"name": "Address", "id": "address", **TEXT},
    {"name": "Postcode", "id": "postcode", **TEXT},
    {"name": "Ward", "id": "ward", **TEXT},
    {"name": "LA", "id": "la", **TEXT},
    {"name": "Provider", "id": "provider", **TEXT},
    {"name": "Bedspaces", "id": "bedspaces", **WHOLE},
    {"name": "Occupied", "id": "occupied", "type": "numeric", "format": {"specifier": ",.1~f"}},
    {"name": "Occupancy", "id": "occupancy", **TEXT},
    {"name": "Status", "id": "status", **TEXT},
    {"name": "In use since", "id": "date_in_use", **TEXT},
]
LIST_KINDS = {c["id"]: "numeric" if c["type"] == "numeric" else "text" for c in LIST_COLUMNS} | {"date_in_use": "date"}


# ------------------------------------------------------------------ reads (one place to add a user's scope)


def property_scope():
    """The signed-in user's scope, refused (403) unless it reaches property-level data of some LA."""
    scope = require()
    if not scope.can_see_addresses():
        raise Forbidden("Property-level information is not available to your account.", what="properties")
    return scope


@data.per_scope
def list_quarters(snap, scope) -> list[str]:
    return sorted(data.scoped_properties(scope)["quarter"].dropna().unique())


@data.per_scope
def list_providers(snap, scope) -> list[str]:
    return sorted(data.scoped_properties(scope)["provider"].dropna().unique())


@data.per_scope
def list_statuses(snap, scope) -> list[str]:
    return sorted(data.scoped_properties(scope)["status"].astype("string").fillna("not given").unique())


def quarter_month(quarter: str, months: list[str]) -> str | None:
    """The quarter's last month with data (the list is as at the quarter end), else the latest before it."""
    end = quarter_end(quarter)
    before = [m for m in months if m <= end]
    return before[-1] if before else (months[0] if months else None)


def filtered(scope, quarter: str | None, provider: str | None, status: list[str] | None) -> pd.DataFrame:
    """Property rows in scope for the controls (not yet audited: show them through ``view_properties``)."""
    props = data.scoped_properties(scope)
    if status is not None and not isinstance(status, list):
        status = [status]
    rows = props[props["quarter"] == quarter]
    if provider and provider != ALL:
        rows = rows[rows["provider"] == provider]
    if status is not None:
        rows = rows[rows["status"].astype("string").fillna("not given").isin(status)]
    return rows


@data.per_scope
def quarter_changes(snap, scope, quarter: str, provider: str | None) -> pd.DataFrame:
    props = data.scoped_properties(scope)
    if provider and provider != ALL:
        props = props[props["provider"] == provider]
    current = props[props["quarter"] == quarter]
    previous = props[props["quarter"] == previous_quarter(quarter)]
    if previous.empty:
        return pd.DataFrame()
    return diff_quarters(previous, current)


@data.per_scope
def sector_check(snap, scope, quarter: str) -> pd.DataFrame:
    """Sector counts are property-level: only the LAs the user may see at that level."""
    month = quarter_month(quarter, list(snap.months))
    if month is None:
        return pd.DataFrame()
    records = scope.filter_properties(snap.records)
    return scope.filter_properties(sector_reconciliation(records, data.scoped_properties(scope), month))


@data.per_scope
def clusters(snap, scope, quarter: str, provider: str | None, status: tuple[str, ...] | None) -> tuple:
    """:func:`~app.figures.properties.several_at` of the list for the controls (not audited), kept per store
    version: over a national list it takes about a second."""
    return figures.several_at(filtered(scope, quarter, provider, None if status is None else list(status)))


def la_names() -> pd.Series:
    return data.local_authorities().set_index("area_code")["area_name"]


def ward_names() -> pd.Series:
    areas = data.snapshot().areas
    return areas[areas["level"] == "ward"].set_index("area_code")["area_name"]


# ------------------------------------------------------------------ layout


def _select(label: str, id_: str, **kwargs) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=id_), dcc.Dropdown(id=id_, clearable=False, **kwargs)], className="field"
    )


def layout(**_query) -> html.Div:
    scope = data.layout_scope()
    if scope is None or not scope.can_see_addresses():
        return html.Div([html.H1("Properties"), html.P("Property-level information is not available to your account.")])
    return html.Div(
        [
            html.H1("Properties"),
            html.P(
                "Provider properties over the wards, coloured by each ward's share of the cluster limit "
                "(a local indicator; the LA flag is the official one). Property addresses are "
                "OFFICIAL-SENSITIVE."
            ),
            html.Div(
                [
                    _select("Quarter", "properties-quarter"),
                    _select("Provider", "properties-provider"),
                    html.Div(
                        [
                            html.Label("Status", htmlFor="properties-status"),
                            dcc.Checklist(id="properties-status", inline=True),
                        ],
                        className="field",
                    ),
                ],
                className="controls",
            ),
            html.P(id="properties-summary", role="status"),
            html.Div(
                dcc.Graph(id="properties-map", config=maps.GRAPH_CONFIG, className="map"),
                role="figure",
                **{"aria-label": "Map of provider properties over wards; the tables below give the same figures"},
            ),
            html.P(id="properties-key"),
            html.H2("Properties in the list", id="properties-list-heading"),
            html.P(
                "Sort by a column heading; type in the row below the headings to filter (for example > 3 under "
                "Bedspaces, or part of a street under Address).",
                className="hint",
            ),
            html.P(id="properties-list-count", role="status"),
            dash_table.DataTable(
                id="properties-list",
                columns=LIST_COLUMNS,
                data=[],
                page_action="custom",
                sort_action="custom",
                filter_action="custom",
                sort_mode="single",
                page_current=0,
                page_size=PAGE_SIZE,
                page_count=1,
                filter_query="",
                sort_by=[],
                style_table={"overflowX": "auto"},
                style_cell={
                    "fontFamily": "Arial, Helvetica, sans-serif",
                    "fontSize": 15,
                    "padding": "6px",
                    "textAlign": "left",
                },
                style_header={"fontWeight": "bold", "backgroundColor": "#f3f2f1"},
            ),
            _section("What changed since last quarter", "properties-changes"),
            _section("Postcodes and streets holding several properties", "properties-several"),
            _section(
                "Home Office count against provider occupancy, by postcode sector",
                "properties-reconciliation",
                "Dispersal accommodation at the quarter's last month. A mismatch is a difference of more than "
                "2 people and more than 10% of the larger figure.",
            ),
        ]
    )


def _section(title: str, id_: str, lead: str | None = None) -> html.Details:
    """A secondary table, collapsed so that the page stays short (its summary line says what it holds)."""
    return html.Details(
        [
            html.Summary(html.H2(title, style={"display": "inline"})),
            *([html.P(lead)] if lead else []),
            html.Div(id=id_),
        ],
        className="section",
    )


def _cell(value):
    """A cell value for a table: numbers stay numbers (the table formats them), missing ones are empty."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        value = value.item() if hasattr(value, "item") else value
        return int(value) if isinstance(value, float) and value.is_integer() else value
    return str(value)


def table(
    records: list[dict],
    columns: list[tuple[str, str]],
    caption: str,
    row_class: str | None = None,
    limit: int = TABLE_LIMIT,
) -> html.Div:
    """A captioned table of 10 rows a page, sortable and filterable in the browser.

    A DataTable sends its rows as data rather than one component per cell, which was most of the cost of the
    page's secondary tables. Numbers keep thousands separators; missing values are empty cells.
    """
    if not records:
        return html.P(f"{caption}: none.")
    rows = [{k: _cell(r.get(k)) for k, _ in columns} for r in records[:limit]]
    specs = []
    for key, label in columns:
        values = [r[key] for r in rows if r[key] is not None]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            specs.append({"name": label, "id": key, "type": "numeric", "format": {"specifier": ",.1~f"}})
        else:
            specs.append({"name": label, "id": key, **TEXT})
    emphasis = [{"if": {"filter_query": f'{{{row_class}}} = "Mismatch"'}, "fontWeight": "bold"}] if row_class else []
    note = [html.P(f"Showing the first {limit} of {len(records)} rows.")] if len(records) > limit else []
    return html.Div(
        [
            html.P(caption, className="table-caption"),
            dash_table.DataTable(
                columns=specs,
                data=rows,
                page_action="native",
                page_size=10,
                sort_action="native",
                filter_action="native",
                style_table={"overflowX": "auto"},
                style_cell={"fontFamily": "Arial, Helvetica, sans-serif", "fontSize": 15, "textAlign": "left"},
                style_header={"fontWeight": "bold", "backgroundColor": "#f3f2f1"},
                style_data_conditional=emphasis,
            ),
            *note,
        ]
    )


@callback(
    Output("properties-quarter", "options"),
    Output("properties-quarter", "value"),
    Output("properties-provider", "options"),
    Output("properties-provider", "value"),
    Output("properties-status", "options"),
    Output("properties-status", "value"),
    Input("properties-quarter", "id"),
)
def fill_controls(_):
    scope = property_scope()
    qs, provs, sts = list_quarters(scope), list_providers(scope), list_statuses(scope)
    default_status = [s for s in sts if s in ("in use", "void")] or sts
    return (
        [{"label": q, "value": q} for q in reversed(qs)],
        qs[-1] if qs else None,
        [{"label": "All providers", "value": ALL}] + [{"label": p, "value": p} for p in provs],
        ALL,
        [{"label": s, "value": s} for s in sts],
        default_status,
    )


@callback(
    Output("properties-map", "figure"),
    Output("properties-summary", "children"),
    Output("properties-key", "children"),
    Input("properties-quarter", "value"),
    Input("properties-provider", "value"),
    Input("properties-status", "value"),
    State("properties-map", "figure"),
)
def update_map(quarter, provider, status, figure):
    scope = property_scope()
    if quarter not in list_quarters(scope):
        return {"data": [], "layout": {}}, "No property lists are loaded yet.", None
    props = view_properties(filtered(scope, quarter, provider, status), what=f"properties {quarter}")
    month = quarter_month(quarter, data.months())
    rows = data.scoped_month_rows(scope, "ward", month) if month else pd.DataFrame()
    located = int((props["lat"].notna() & props["lon"].notna()).sum())
    occupied = pd.to_numeric(props["occupied"], errors="coerce").sum()
    summary = (
        f"{len(props)} properties in {quarter}, {int(pd.to_numeric(props['bedspaces']).fillna(0).sum())} "
        f"bedspaces, {occupied:,.0f} occupied; {len(props) - located} not on the map (postcode not found). "
        f"Wards coloured for {month}."
    )
    las = data.geometry("lad")
    if figure and len(figure.get("data", [])) > figures.POINTS and len(rows):
        patch = Patch()
        for index, values in maps.value_updates(rows, data.geometry("ward"), "ward").items():
            for key, value in values.items():
                patch["data"][index][key] = value
        for key, value in figures.trace_update(props, la_names(), las.points).items():
            if key.startswith("marker."):
                patch["data"][figures.POINTS]["marker"][key.split(".", 1)[1]] = value
            else:
                patch["data"][figures.POINTS][key] = value
        out_figure = patch
    else:
        out_figure = figures.property_map(
            rows,
            data.geometry("ward"),
            props,
            outlines=las,
            approaching=data.settings().approaching,
            la_names=la_names(),
        )
    if figures.drawn_per_la(props):
        key = [figures.counts_key(props)]
    else:
        key = ["Symbols: "] + [
            html.Span(f"{label} ({symbol.replace('-', ' ')}); ") for label, symbol, _ in figures.occupancy_key()
        ]
    return out_figure, summary, key


def _uk_dates(values: pd.Series) -> pd.Series:
    """ISO dates as '3 Nov 2025' (blank where not given or not a date)."""
    stamps = pd.to_datetime(values, errors="coerce", format="%Y-%m-%d")
    words = stamps.dt.day.astype("Int64").astype("string") + stamps.dt.strftime(" %b %Y")
    return words.fillna("")


@data.per_scope
def listing(snap, scope, quarter: str, provider: str | None, status: tuple[str, ...] | None) -> tuple:
    """The property list for the controls, one row per property with the columns of the table, and the text each
    cell shows (not audited)."""
    props = filtered(scope, quarter, provider, None if status is None else list(status))
    wards, las = ward_names(), la_names()
    rows = pd.DataFrame(
        {
            "address": props["address"].astype("string").fillna(""),
            "postcode": props["postcode"].astype("string").fillna(""),
            "ward": props["ward_code"].map(wards).astype("string").fillna("not found"),
            "la": props["lad_code"].map(las).astype("string").fillna("not found"),
            "provider": props["provider"].astype("string").fillna(""),
            "bedspaces": pd.to_numeric(props["bedspaces"], errors="coerce"),
            "occupied": pd.to_numeric(props["occupied"], errors="coerce"),
            "occupancy": figures.occupancy_band(props["occupied"], props["bedspaces"]).map(
                {k: v[0] for k, v in figures.OCCUPANCY.items()}
            ),
            "status": props["status"].astype("string").fillna("not given"),
            "date_in_use": props["date_in_use"],
            "lad_code": props["lad_code"],
        },
        index=props.index,
    )
    rows = rows.sort_values(["la", "ward", "address"], kind="stable")
    return rows, _shown(rows)


def _shown(rows: pd.DataFrame) -> pd.DataFrame:
    """The text each cell shows (what a text filter matches)."""
    return rows.assign(
        bedspaces=rows["bedspaces"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        occupied=rows["occupied"].map(lambda v: "" if pd.isna(v) else f"{v:,.1f}".removesuffix(".0")),
        date_in_use=_uk_dates(rows["date_in_use"]),
    )


def list_page(scope, quarter, provider, status, page_current, sort_by, filter_query):
    """(rows of one page, their cell texts, page count, page shown, total rows) for the table (not audited)."""
    rows, shown = listing(scope, quarter, provider, None if status is None else tuple(sorted(status)))
    rows = tables.query(rows, filter_query, sort_by, LIST_KINDS, shown)
    part, count, current = tables.page(rows, page_current, PAGE_SIZE)
    return part, shown.loc[part.index], count, current, len(rows)


@callback(
    Output("properties-list", "data"),
    Output("properties-list", "page_count"),
    Output("properties-list", "page_current"),
    Output("properties-list-count", "children"),
    Input("properties-quarter", "value"),
    Input("properties-provider", "value"),
    Input("properties-status", "value"),
    Input("properties-list", "page_current"),
    Input("properties-list", "sort_by"),
    Input("properties-list", "filter_query"),
)
def update_list(quarter, provider, status, page_current, sort_by, filter_query):
    """One page of the property list, filtered and sorted on the server; a new control or filter starts at page 1."""
    scope = property_scope()
    if quarter not in list_quarters(scope):
        return [], 1, 0, "No property lists are loaded yet."
    if status is not None and not isinstance(status, list):
        status = [status]
    if "properties-list.page_current" not in ctx.triggered_prop_ids:
        page_current = 0
    rows, shown, count, current, total = list_page(
        scope, quarter, provider, status, page_current, sort_by, filter_query
    )
    rows = view_properties(rows, what=f"properties {quarter} (page {current + 1})")
    shown = shown.loc[rows.index]
    records = [
        {
            **{k: shown[k].iloc[i] for k in ("address", "postcode", "ward", "la", "provider", "occupancy", "status")},
            "bedspaces": _plain(rows["bedspaces"].iloc[i]),
            "occupied": _plain(rows["occupied"].iloc[i]),
            "date_in_use": shown["date_in_use"].iloc[i],
        }
        for i in range(len(rows))
    ]
    first = current * PAGE_SIZE + 1 if total else 0
    words = (
        f"Rows {first:,}–{first + len(records) - 1:,} of {total:,} (page {current + 1} of {count})."
        if total
        else "No properties match the filter."
    )
    return records, count, current, words


def _plain(value) -> float | int | None:
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


@callback(
    Output("properties-changes", "children"),
    Output("properties-several", "children"),
    Output("properties-reconciliation", "children"),
    Input("properties-quarter", "value"),
    Input("properties-provider", "value"),
    Input("properties-status", "value"),
)
def update_tables(quarter, provider, status):
    scope = property_scope()
    if quarter not in list_quarters(scope):
        return None, None, None
    wards, las = ward_names(), la_names()
    diff = quarter_changes(scope, quarter, provider)
    if not diff.empty:
        diff = view_properties(diff, what=f"property changes {quarter}")
    if diff.empty:
        change_part = html.P(f"There is no list for {previous_quarter(quarter)} to compare with.")
    else:
        counts = diff["change"].value_counts()
        lead = html.P(
            "Since "
            + previous_quarter(quarter)
            + ": "
            + "; ".join(f"{counts.get(c, 0)} {c}" for c in ("new", "left", "capacity changed", "status changed"))
            + "."
        )
        records = diff.assign(ward=diff["ward_code"].map(wards), la=diff["lad_code"].map(las)).to_dict("records")
        change_part = html.Div(
            [
                lead,
                table(
                    records,
                    [
                        ("change", "Change"),
                        ("provider", "Provider"),
                        ("address", "Address"),
                        ("postcode", "Postcode"),
                        ("ward", "Ward"),
                        ("la", "LA"),
                        ("bedspaces_before", "Bedspaces before"),
                        ("bedspaces_after", "Bedspaces after"),
                        ("status_before", "Status before"),
                        ("status_after", "Status after"),
                    ],
                    f"Changes from {previous_quarter(quarter)} to {quarter}",
                ),
            ]
        )
    if status is not None and not isinstance(status, list):
        status = [status]
    view_properties(filtered(scope, quarter, provider, status), what=f"properties {quarter}")
    by_postcode, by_street = clusters(scope, quarter, provider, None if status is None else tuple(sorted(status)))
    several = html.Div(
        [
            table(
                by_postcode.assign(ward=by_postcode["ward_code"].map(wards)).to_dict("records"),
                [
                    ("postcode", "Postcode"),
                    ("ward", "Ward"),
                    ("properties", "Properties"),
                    ("bedspaces", "Bedspaces"),
                    ("occupied", "Occupied"),
                    ("providers", "Providers"),
                ],
                "Postcodes with two or more properties",
            ),
            table(
                by_street.assign(ward=by_street["ward_code"].map(wards)).to_dict("records"),
                [
                    ("street", "Street"),
                    ("district", "Postcode district"),
                    ("ward", "Ward (first property)"),
                    ("properties", "Properties"),
                    ("bedspaces", "Bedspaces"),
                    ("occupied", "Occupied"),
                    ("providers", "Providers"),
                ],
                "Streets with two or more properties",
            ),
        ]
    )
    recon = sector_check(scope, quarter)
    if not recon.empty:
        recon = view_properties(recon, what=f"reconciliation by sector {quarter}")
    if recon.empty:
        recon_part = html.P("No Home Office data for this quarter.")
    else:
        n = int(recon["mismatch"].sum())
        recon_part = html.Div(
            [
                html.P(
                    f"{n} of {len(recon)} postcode sectors do not agree ({recon['month'].iloc[0]} "
                    f"against the {recon['quarter'].iloc[0]} lists).",
                    role="status",
                ),
                table(
                    figures.reconciliation_rows(recon, las),
                    [
                        ("check", "Check"),
                        ("la_name", "LA"),
                        ("postcode_sector", "Postcode sector"),
                        ("home_office", "Home Office count"),
                        ("provider", "Provider occupied"),
                        ("difference", "Difference"),
                    ],
                    "Home Office count against provider occupancy",
                    row_class="check",
                ),
            ]
        )
    return change_part, several, recon_part
