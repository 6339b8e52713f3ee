"""The "what changed" panel shown on the overview and after every load (Data page).

The rows come from :func:`app.cluster.changes.what_changed`, narrowed to the user's LAs; members see
aggregates only (LA rows, people rounded to 5), like their pages.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from app import monitoring
from app.cluster import changes as ch
from app.web import data

HEADERS = ["Change", "Area", "Local authority", "Last month", "This month", "Limit", "Share of the limit"]


@data.per_scope
def scoped_changes(snap: monitoring.Snapshot, user_scope, month: str) -> ch.Changes:
    found = monitoring.changes_in(snap, month)
    rows = found.rows[found.rows["lad_code"].isin(user_scope.lad_codes)].reset_index(drop=True)
    found = ch.Changes(found.month, found.previous, found.compared, rows)
    return ch.for_members(found) if user_scope.suppress else found


def _month_words(month: str) -> str:
    return pd.Period(month, freq="M").strftime("%B %Y")


def panel(user_scope, month: str | None, panel_id: str) -> html.Section:
    """Headline sentences and a table of the changes into ``month`` (nothing to say without a month)."""
    if not month or month not in data.months():
        return html.Section(id=panel_id, className="changes")
    found = scoped_changes(user_scope, month)
    names = data.local_authorities().set_index("area_code")["area_name"]
    gap = "withheld" if user_scope.suppress else "no data"
    title = f"What changed since {_month_words(found.previous)}"
    body = [
        html.H2(title, id=f"{panel_id}-title"),
        html.Ul([html.Li(sentence) for sentence in ch.headline(found)], className="changes-headline"),
    ]
    if not found.empty:
        rows = [
            html.Tr(
                [
                    html.Td(r.change.capitalize()),
                    html.Td(f"{r.area_name} ({'LA' if r.level == 'la' else 'ward'})"),
                    html.Td(str(names.get(r.lad_code, r.lad_code))),
                    html.Td(ch.whole(r.people_before, gap), className="num"),
                    html.Td(ch.whole(r.people, gap if r.change != ch.MISSING else "no file"), className="num"),
                    html.Td(ch.whole(r.limit), className="num"),
                    html.Td(_percent(r.share_of_limit), className="num"),
                ],
                **{"data-change": r.change, "data-area": r.area_code},
            )
            for r in found.rows.itertuples()
        ]
        body.append(
            html.Table(
                [
                    html.Caption(f"{title}: every area listed"),
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in HEADERS])),
                    html.Tbody(rows),
                ],
                className="changes-table",
                id=f"{panel_id}-table",
            )
        )
    if user_scope.suppress:
        body.append(
            html.P(
                "Local authorities only; people rounded to the nearest 5, figures under 5 withheld.", className="hint"
            )
        )
    return html.Section(body, id=panel_id, className="changes", **{"aria-live": "polite"})


def _percent(share) -> str:
    return "no data" if share is None or pd.isna(share) else f"{float(share):.0%}"


def preview_panel(user_scope, prepared, panel_id: str = "data-preview-changes") -> html.Section:
    """What a monthly file not yet loaded would change: its month figured as if it were loaded.

    The file's records replace the store's for its month and LAs (as the load would); only that month and
    the one before are figured, so the preview costs two months of apportionment, not the whole store.
    """
    report = prepared.report
    if report.kind != "home_office" or not report.period or prepared.table is None:
        return html.Section(id=panel_id, className="changes")
    snap = data.snapshot()
    month = report.period
    found = ch.what_changed(_as_if_loaded(snap, prepared), month)
    rows = found.rows[found.rows["lad_code"].isin(user_scope.lad_codes)].reset_index(drop=True)
    found = ch.Changes(found.month, found.previous, found.compared, rows)
    if user_scope.suppress:
        found = ch.for_members(found)
    return html.Section(
        [
            html.H3(f"If loaded: what would change since {_month_words(found.previous)}"),
            html.Ul([html.Li(s) for s in ch.headline(found)], className="changes-headline"),
        ],
        id=panel_id,
        className="changes",
    )


#: The load id the preview gives the file's records (no real load has it).
PREVIEW_LOAD = -1


def _as_if_loaded(snap: monitoring.Snapshot, prepared) -> pd.DataFrame:
    """The monitoring table of the file's month and the one before, with the file's records in force for its
    month and LAs, as its load would make them (figured from the records, not the stored figures)."""
    from app.cluster import apportion as ap
    from app.cluster import coverage as cov
    from app.cluster import position

    month = prepared.report.period
    months = {month, ch.previous_month(month)}
    stored = snap.records_for(sorted(months))
    kept = stored[~((stored["month"] == month) & stored["lad_code"].isin(prepared.scope))]
    incoming = prepared.table.reindex(columns=stored.columns).assign(month=month)
    if "load_id" in incoming:
        incoming["load_id"] = PREVIEW_LOAD
    records = pd.concat([kept, incoming], ignore_index=True)
    covered = snap.covered[snap.covered["month"].astype(str).isin(months)]
    covered = covered[~((covered["month"] == month) & covered["lad_code"].isin(prepared.scope))]
    added = pd.DataFrame(
        {"month": month, "lad_code": sorted(prepared.scope), "load_id": PREVIEW_LOAD, "complete": True}
    )
    covered = pd.concat([covered, added.astype(covered.dtypes.to_dict())], ignore_index=True)
    split = ap.apportion(records, snap.weights, ap.property_occupancy(snap.properties_for(sorted(months))))
    split = cov.in_force(split, records, covered)
    mask = position.counted(records, snap.settings)
    people = position.people_by_area(records, split, snap.areas, mask, covered)
    population = position.population_by_area(snap.areas, snap.population)
    return position.monitoring_table(people, snap.areas, population, snap.settings, snap.limit_overrides)
