"""What goes into the provider meeting pack: plain tables and facts, decided once for every format.

Pure: DataFrames and a :class:`~app.security.roles.Scope` in, a :class:`PackContent` out; no I/O. The
renderers (PDF, HTML, XLSX) only lay out what is here, so the three formats always say the same thing and
the requesting user's role is applied in one place:

- every row passes through the scope (LAs the user may see; property-level rows only for the LAs whose
  properties the user may see);
- a member's pack (``scope.suppress``) carries no addresses, postcodes, sectors or property points; ward
  counts are rounded to 5 with counts under 5 shown as "fewer than 5" and secondary suppression
  (:meth:`Scope.filter_table`); other small counts go through :mod:`app.cluster.disclosure` with their totals;
- a pack with restricted data (anything unsuppressed below LA level) is marked OFFICIAL-SENSITIVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from app.cluster import changes as what_changed
from app.cluster import disclosure, trend
from app.cluster.apportion import property_occupancy
from app.cluster.position import NO_DATA
from app.cluster.property_changes import NEW, diff_quarters
from app.cluster.reconcile import sector_reconciliation, with_sector_la
from app.config import DISPERSAL
from app.figures import palette
from app.periods import previous_quarter, quarter_months
from app.security.roles import MAKE_PACK, Forbidden, Scope
from app.views import disclosed, plan, quality

SENSITIVE, OFFICIAL = "OFFICIAL-SENSITIVE", "OFFICIAL"
LA_PACK, REGION_PACK = "la", "region"
TREND_MONTHS = 12

#: Reproduced wherever the data is shown (``shared/reference/README.md``, "Licences and attribution").
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains OS data © Crown copyright and database right 2024.",
    "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail "
    "copyright and database right 2025. Contains National Statistics data © Crown copyright and database right 2025.",
    "Home Office, Immigration system statistics (table Asy_D11). Contains public sector information licensed "
    "under the Open Government Licence v3.0.",
)

STATUS_WORDS = palette.STATUS_WORDS
KIND_WORDS = {
    "home_office": "Home Office monthly data",
    "properties": "Provider property list",
    "geography": "Boundaries, population and postcodes",
    "public_stats": "Published Home Office table",
}


class PackError(ValueError):
    """The pack cannot be made as asked (no data for the quarter, unknown area); the message says why."""


@dataclass
class PackInputs:
    """What the pack is made from: the snapshot's frames plus the store's logs (see :mod:`app.report.build`)."""

    areas: pd.DataFrame
    table: pd.DataFrame
    records: pd.DataFrame
    weights: pd.DataFrame
    properties: pd.DataFrame
    population: pd.DataFrame
    area_settings: pd.DataFrame
    proposals: pd.DataFrame
    problems: pd.DataFrame
    loads: pd.DataFrame
    counted_types: tuple[str, ...] = (DISPERSAL,)
    approaching: float = 0.8
    limit_ratio: float = 200.0
    attribution: tuple[str, ...] = ATTRIBUTION
    #: Allocations entered per quarter (``plan_allocations``); a quarter without one takes ``area_settings``'.
    plan_allocations: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["lad_code", "quarter", "bedspaces", "note"])
    )


@dataclass
class PackTable:
    """One table: display-ready column names; counts a member may not see are already text."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    text: list[str] = field(default_factory=list)
    tables: list[PackTable] = field(default_factory=list)
    #: a figure the renderers draw here: "trend" or "map"
    figure: str | None = None


@dataclass
class PackContent:
    title: str
    kind: str
    area_code: str
    area_name: str
    lad_codes: list[str]
    quarter: str
    month: str
    months: list[str]
    population_year: int | None
    user: str
    role: str
    generated_at: datetime
    marking: str
    suppressed: bool
    property_level: bool
    facts: list[tuple[str, str]]
    sections: list[Section]
    #: every ward of the pack for ``month``: area_code, area_name, lad_code, la_name, status, share_of_limit
    #: (missing for members), people_display, label (a number keyed to the wards table, or "")
    ward_map: pd.DataFrame
    #: LA rows of the month (for outlines and the region map)
    la_map: pd.DataFrame
    #: property points for the maps (officers only): lon, lat, change ("new" / "in use")
    points: pd.DataFrame
    #: people against the limit over the trend months: month, area_name, people, limit, share_of_limit
    trend: pd.DataFrame
    attribution: list[str]
    #: the settings' approaching threshold: every map, chart and word of the pack uses it
    approaching: float = 0.8

    @property
    def restricted(self) -> bool:
        return self.marking == SENSITIVE

    def tables(self) -> list[PackTable]:
        return [t for s in self.sections for t in s.tables]


# ------------------------------------------------------------------ small helpers


def _pct(values: pd.Series) -> pd.Series:
    return (pd.to_numeric(values, errors="coerce") * 100).round(1)


def _round(values: pd.Series, places: int = 1) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").round(places)


def _words(status: pd.Series) -> pd.Series:
    return status.astype(str).map(palette.word)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True).dt.date


# ------------------------------------------------------------------ the pack


def build_content(
    inputs: PackInputs,
    scope: Scope,
    *,
    quarter: str,
    la: str | None = None,
    region: str | None = None,
    generated_at: datetime | None = None,
) -> PackContent:
    """The pack for one LA (``la``) or one region (``region``) and quarter, as ``scope`` may see it.

    Raises :class:`~app.security.roles.Forbidden` when the user may not see the area and
    :class:`PackError` when the store has no Home Office month in the quarter.
    """
    areas = inputs.areas
    la_names = areas[areas["level"] == "lad"].set_index("area_code")["area_name"].astype(str)
    ward_names = areas[areas["level"] == "ward"].set_index("area_code")["area_name"].astype(str)
    if (la is None) == (region is None):
        raise PackError("give either an LA or a region")
    if la is not None:
        if la not in la_names.index:
            raise PackError(f"{la} is not a local authority in the store")
        scope.check(MAKE_PACK, la)
        scope.check_lad(la)
        kind, code, name, lads = LA_PACK, la, la_names[la], [la]
    else:
        regions = areas.loc[areas["level"] == "lad", ["region_code", "region_name"]].dropna().drop_duplicates()
        found = regions[regions["region_code"] == region]
        if found.empty:
            raise PackError(f"{region} is not a region in the store")
        if region not in scope.region_codes or not scope.allows(MAKE_PACK, region):
            raise Forbidden("You do not have access to that region.", what=region)
        kind, code, name = REGION_PACK, region, str(found["region_name"].iloc[0])
        in_region = areas[(areas["level"] == "lad") & (areas["region_code"] == region)]["area_code"]
        lads = sorted(set(in_region.astype(str)) & scope.lad_codes)
    month, months = _months(inputs.table, quarter)
    members = scope.suppress
    property_lads = sorted(set(lads) & scope.property_level_lads)

    table = inputs.table[inputs.table["month"].isin(months)]
    in_pack = (table["level"].ne("region") & table["lad_code"].isin(lads)) | (
        table["level"].eq("region") & table["area_code"].eq(code if kind == REGION_PACK else "")
    )
    if kind == LA_PACK:
        in_pack &= table["level"].ne("region")
    visible = scope.filter_table(table[in_pack.to_numpy()])
    visible = visible.assign(la_name=visible["lad_code"].map(la_names))

    props = inputs.properties
    props_pack = props[props["lad_code"].isin(lads)]
    changes_all = _changes(props_pack, quarter)
    ref_month = _reference_month(inputs.table["month"].unique(), quarter, month)

    sections = [
        _what_changed_section(inputs, month, lads, la_names, members),
        _position_section(visible, kind, code, month, months, members),
        _wards_section(visible, month, members),
        _property_section(changes_all, inputs.table, ward_names, la_names, ref_month, month, property_lads, members),
        _mismatch_section(inputs, month, property_lads, members, la_names),
        _plan_section(inputs, props_pack, quarter, lads, la_names, members),
        _proposals_section(inputs.proposals, quarter, lads, property_lads, ward_names, la_names, members),
        _quality_section(inputs.problems, inputs.loads, quarter, lads, scope),
        _sources_section(inputs, quarter, months, month, lads, members),
    ]
    sections += _address_appendix(sections)
    ward_map = _ward_map(visible, month, next(s for s in sections if s.key == "wards"))
    la_map = visible[(visible["level"] == "la") & (visible["month"] == month)]
    points = _points(props_pack, changes_all, quarter, property_lads) if not members else _no_points()
    trend_rows = visible[visible["level"].eq("region" if kind == REGION_PACK else "la")]
    if kind == REGION_PACK:
        trend_rows = visible[visible["level"].isin(["la", "region"])]
    trend_frame = (
        trend_rows[["month", "area_name", "people", "limit", "share_of_limit"]]
        .sort_values(["area_name", "month"])
        .reset_index(drop=True)
    )
    population_year = _population_year(inputs.population, lads)
    facts = _facts(visible, kind, code, month, months, quarter, sections, population_year, members)
    marking = OFFICIAL if members else SENSITIVE
    title = f"Provider meeting pack: {name}, {quarter}"
    return PackContent(
        title=title,
        kind=kind,
        area_code=code,
        area_name=name,
        lad_codes=lads,
        quarter=quarter,
        month=month,
        months=months,
        population_year=population_year,
        user=scope.user,
        role=scope.role,
        generated_at=generated_at or datetime.now().astimezone(),
        marking=marking,
        suppressed=members,
        property_level=bool(property_lads) and not members,
        facts=facts,
        sections=sections,
        ward_map=ward_map,
        la_map=la_map.reset_index(drop=True),
        points=points,
        trend=trend_frame,
        attribution=list(inputs.attribution),
        approaching=inputs.approaching,
    )


def _months(table: pd.DataFrame, quarter: str) -> tuple[str, list[str]]:
    """The quarter's last month with data, and the trend window ending there."""
    loaded = sorted(table["month"].dropna().unique())
    in_quarter = [m for m in loaded if m in quarter_months(quarter)]
    if not in_quarter:
        latest = ", ".join(loaded[-3:]) or "none"
        raise PackError(f"no Home Office data for any month of {quarter} (latest months loaded: {latest})")
    month = in_quarter[-1]
    window = [m for m in loaded if m <= month][-TREND_MONTHS:]
    return month, window


def _reference_month(months, quarter: str, month: str) -> str:
    """The position a property placed during the quarter came into: the previous quarter's last month with data."""
    before = sorted(m for m in months if m is not None and m < quarter_months(quarter)[0])
    return before[-1] if before else month


def _population_year(population: pd.DataFrame, lads: list[str]) -> int | None:
    years = population.loc[population["area_code"].isin(lads), "source_year"].dropna()
    return int(years.max()) if len(years) else None


# ------------------------------------------------------------------ sections


def _what_changed_section(
    inputs: PackInputs, month: str, lads: list[str], la_names: pd.Series, members: bool
) -> Section:
    """The top of every pack: what crossed the threshold or the limit since the month before, and missing files."""
    table = inputs.table[inputs.table["lad_code"].isin(lads) & inputs.table["level"].isin(["la", "ward"])]
    before = what_changed.previous_month(month)
    found = what_changed.what_changed(table, month)  # LAs no file covers carry status no_data
    if members:
        found = what_changed.for_members(found)
    gap = "withheld" if members else "no data"
    rows = found.rows
    frame = pd.DataFrame(
        {
            "Change": rows["change"].astype(str).str.capitalize(),
            "Area": rows["area_name"].astype(str),
            "Level": rows["level"].map({"la": "LA (official flag)", "ward": "ward (local indicator)"}),
            "LA": rows["lad_code"].map(la_names).astype(str),
            f"People {before}": rows["people_before"].map(lambda v: what_changed.whole(v, gap)),
            f"People {month}": rows["people"].map(lambda v: what_changed.whole(v, gap)),
            "Limit": rows["limit"].map(what_changed.whole),
            "Share of the limit (%)": _pct(pd.to_numeric(rows["share_of_limit"], errors="coerce")),
        }
    )
    text = what_changed.headline(found)
    if members:
        text.append("Local authorities only; people rounded to the nearest 5, figures under 5 withheld.")
    return Section(
        "changes",
        f"What changed since {before}",
        text,
        [PackTable("what_changed", f"What changed from {before} to {month}", frame.reset_index(drop=True))]
        if len(frame)
        else [],
    )


def _position_section(
    visible: pd.DataFrame, kind: str, code: str, month: str, months: list[str], members: bool
) -> Section:
    now = visible[(visible["month"] == month) & visible["level"].isin(["la", "region"])]
    # LAs over the limit first, then those near it (the region total last): the pack leads with them.
    now = now.assign(
        _level=now["level"].map({"la": 0, "region": 1}),
        _status=now["status"].map({"breach": 0, "approaching": 1}).fillna(2),
        _share=-pd.to_numeric(now["share_of_limit"], errors="coerce").fillna(0),
    )
    now = now.sort_values(["_level", "_status", "_share", "area_name"])
    position = pd.DataFrame(
        {
            "Area": now["area_name"].astype(str),
            "Code": now["area_code"].astype(str),
            "Flag": now["level"].map({"la": "official flag (LA)", "region": "regional total"}),
            "People supported": now["people_display"].astype(object) if members else _round(now["people"]),
            "Residents": _round(now["population"], 0),
            "Limit": _round(now["limit"]),
            "Share of the limit (%)": _pct(now["share_of_limit"]),
            "Headroom": _round(now["headroom"]),
            "Status": _words(now["status"]),
        }
    )
    levels = ["la", "region"] if kind == REGION_PACK else ["la"]
    rows = visible[visible["level"].isin(levels)].sort_values(["area_name", "month"])
    rows = rows.assign(change=rows.groupby("area_code")["people"].diff())
    trend_table = pd.DataFrame(
        {
            "Area": rows["area_name"].astype(str),
            "Month": rows["month"].astype(str),
            "People supported": rows["people_display"].astype(object) if members else _round(rows["people"]),
            "Change on previous month": (
                rows["change"].map(lambda v: "" if v != v else f"{v:+,.0f}") if members else _round(rows["change"])
            ),
            "Limit": _round(rows["limit"]),
            "Share of the limit (%)": _pct(rows["share_of_limit"]),
            "Status": _words(rows["status"]),
        }
    )
    if members:  # a change between a shown and a suppressed month would give the suppressed count back
        before = rows.groupby("area_code")["suppressed"].shift(1, fill_value=False).astype(bool)
        hidden = rows["suppressed"].astype(bool) | before
        trend_table.loc[hidden.to_numpy(), "Change on previous month"] = ""
    text = [
        f"Position at {month}, the last month of the quarter with Home Office data, and the trend over "
        f"the {len(months)} months to then. The LA status is the official flag (the Home Office applies "
        "the limit to local authorities)."
    ]
    return Section(
        "position",
        "Position against the limit",
        text,
        [
            PackTable("position", f"Position at {month}", position.reset_index(drop=True)),
            PackTable("trend", f"Trend, {months[0]} to {months[-1]}", trend_table.reset_index(drop=True)),
        ],
        figure="trend",
    )


def _wards_section(visible: pd.DataFrame, month: str, members: bool) -> Section:
    wards = visible[(visible["level"] == "ward") & (visible["month"] == month)]
    flagged = wards[wards["status"].isin(["breach", "approaching"])].copy()
    flagged["order"] = flagged["status"].map({"breach": 0, "approaching": 1})
    sort = ["order", "la_name", "area_name"] if members else ["order", "share_of_limit"]
    flagged = flagged.sort_values(sort, ascending=[True, True, True] if members else [True, False])
    frame = pd.DataFrame(
        {
            "Map label": np.arange(1, len(flagged) + 1),
            "Ward": flagged["area_name"].astype(str),
            "Code": flagged["area_code"].astype(str),
            "LA": flagged["la_name"].astype(str),
            "People supported": flagged["people_display"].astype(object) if members else _round(flagged["people"]),
            "Residents": _round(flagged["population"], 0),
            "Share of the limit (%)": None if members else _pct(flagged["share_of_limit"]),
            "Status (local indicator)": _words(flagged["status"]),
        }
    )
    if members:
        frame = frame.drop(columns="Share of the limit (%)")
    n_breach = int((wards["status"] == "breach").sum())
    n_near = int((wards["status"] == "approaching").sum())
    text = [
        f"{n_breach} of {len(wards)} wards are over the limit and {n_near} are approaching it at {month}. "
        "Ward figures are apportioned from postcode sectors and are a local indicator, not an official flag."
    ]
    if members:
        text.append(
            'Ward counts are rounded to the nearest 5; counts under 5 read "fewer than 5" and some '
            "further counts are withheld so that none can be worked out from the LA total."
        )
    return Section(
        "wards",
        "Wards over or approaching the limit",
        text,
        [PackTable("wards", f"Wards over or approaching the limit, {month}", frame.reset_index(drop=True))],
        figure="map",
    )


def _changes(props: pd.DataFrame, quarter: str) -> pd.DataFrame:
    current = props[props["quarter"] == quarter]
    previous = props[props["quarter"] == previous_quarter(quarter)]
    if current.empty or previous.empty:
        return pd.DataFrame(
            columns=[
                "change",
                "provider",
                "property_key",
                "property_ref",
                "address",
                "postcode",
                "ward_code",
                "lad_code",
                "bedspaces_before",
                "bedspaces_after",
                "status_before",
                "status_after",
            ]
        )
    return diff_quarters(previous, current)


def _property_section(
    changes: pd.DataFrame,
    table: pd.DataFrame,
    ward_names: pd.Series,
    la_names: pd.Series,
    ref_month: str,
    month: str,
    property_lads: list[str],
    members: bool,
) -> Section:
    text = [
        "Properties new, left, or with changed capacity or status since the previous quarter's list "
        "(the lists are matched on provider and property)."
    ]
    wards_then = table[(table["level"] == "ward") & (table["month"] == ref_month)].set_index("area_code")
    wards_now = table[(table["level"] == "ward") & (table["month"] == month)].set_index("area_code")
    new = changes[changes["change"] == NEW]
    in_breach = new[new["ward_code"].map(wards_then["status"]).eq("breach").fillna(False).to_numpy()]
    if changes.empty:
        text.append(
            "No comparison: the store does not hold property lists for both this quarter and the one "
            "before it for these LAs."
        )
    if members:
        counts = changes.assign(LA=changes["lad_code"].map(la_names))
        crosstab = disclosed.protected_crosstab(counts, "LA", "change", "Local authority")
        placed = in_breach.drop_duplicates("ward_code")
        wards = pd.DataFrame(
            {
                "Ward": placed["ward_code"].map(ward_names).astype(str),
                "LA": placed["lad_code"].map(la_names).astype(str),
                "Status now (local indicator)": _words(placed["ward_code"].map(wards_now["status"])),
            }
        ).sort_values(["LA", "Ward"])
        text.append("Counts of properties by LA; addresses and property locations are not part of this pack.")
        return Section(
            "properties",
            "Property changes this quarter",
            text,
            [
                PackTable("property_changes", "Properties by kind of change", crosstab),
                PackTable(
                    "placed_over_limit",
                    f"Wards already over the limit at {ref_month} that received new properties this quarter",
                    wards.reset_index(drop=True),
                ),
            ],
        )
    shown = changes[changes["lad_code"].isin(property_lads)]
    frame = pd.DataFrame(
        {
            "Change": shown["change"].astype(str),
            "Provider": shown["provider"].astype(str),
            "Reference": shown["property_ref"].astype("string").fillna("").astype(str),
            "Address": shown["address"].astype("string").fillna("").astype(str),
            "Postcode": shown["postcode"].astype("string").fillna("").astype(str),
            "Ward": shown["ward_code"].map(ward_names).fillna("not placed").astype(str),
            "LA": shown["lad_code"].map(la_names).fillna("").astype(str),
            "Bedspaces before": pd.to_numeric(shown["bedspaces_before"], errors="coerce"),
            "Bedspaces after": pd.to_numeric(shown["bedspaces_after"], errors="coerce"),
            "Status before": shown["status_before"].astype("string").fillna("").astype(str),
            "Status after": shown["status_after"].astype("string").fillna("").astype(str),
        }
    )
    placed = in_breach[in_breach["lad_code"].isin(property_lads)]
    over = pd.DataFrame(
        {
            "Address": placed["address"].astype("string").fillna("").astype(str),
            "Postcode": placed["postcode"].astype("string").fillna("").astype(str),
            "Provider": placed["provider"].astype(str),
            "Ward": placed["ward_code"].map(ward_names).astype(str),
            "LA": placed["lad_code"].map(la_names).astype(str),
            "Bedspaces": pd.to_numeric(placed["bedspaces_after"], errors="coerce"),
            f"Ward share of the limit at {ref_month} (%)": _pct(placed["ward_code"].map(wards_then["share_of_limit"])),
            f"Ward share of the limit at {month} (%)": _pct(placed["ward_code"].map(wards_now["share_of_limit"])),
        }
    )
    summary = (
        frame.groupby("Change").size().reindex(["new", "left", "capacity changed", "status changed"], fill_value=0)
    )
    text.append(", ".join(f"{n:,} {k}" for k, n in summary.items()) + ".")
    if len(changes) and len(shown) < len(changes):
        text.append("Property-level rows are shown only for the LAs whose properties your account may see.")
    counts = (
        pd.crosstab(frame["LA"], frame["Change"]).reset_index().rename(columns={"LA": "Local authority"})
        if len(frame)
        else pd.DataFrame(columns=["Local authority"])
    )
    counts.columns.name = None
    frame = frame.sort_values(["LA", "Change", "Postcode"], kind="stable")
    return Section(
        "properties",
        "Property changes this quarter",
        text,
        [
            PackTable("property_counts", "Properties by LA and kind of change", counts.reset_index(drop=True)),
            PackTable(
                "placed_over_limit",
                f"New properties in wards already over the limit at {ref_month}",
                over.reset_index(drop=True),
            ),
            PackTable("property_changes", "Properties added, removed and changed, by LA", frame.reset_index(drop=True)),
        ],
    )


def _mismatch_section(
    inputs: PackInputs, month: str, property_lads: list[str], members: bool, la_names: pd.Series
) -> Section:
    title = "Home Office counts against the provider's occupancy"
    if members:
        return Section("sectors", title, ["Not part of this pack: sector-level figures are restricted."])
    text = [
        f"Postcode sectors where the Home Office count of people in dispersal accommodation for {month} and "
        "the occupied bedspaces in the provider's list disagree by more than 2 people and 10% of the larger "
        "figure."
    ]
    if inputs.properties.empty:
        text.append("No provider property lists are loaded, so there is nothing to compare.")
    records = with_sector_la(inputs.records, inputs.weights)
    table = sector_reconciliation(records, inputs.properties, month)
    rows = table[table["mismatch"] & table["lad_code"].isin(property_lads)]
    frame = pd.DataFrame(
        {
            "LA": rows["lad_code"].map(la_names).astype(str),
            "Postcode sector": rows["postcode_sector"].astype(str),
            "Home Office count": _round(rows["home_office"]),
            "Provider occupied bedspaces": _round(rows["provider"]),
            "Difference": _round(rows["difference"]),
            "Property list": rows["quarter"].astype("string").fillna("").astype(str),
        }
    )
    return Section(
        "sectors",
        title,
        text,
        [PackTable("sector_mismatches", f"Sectors that disagree, {month}", frame.reset_index(drop=True))],
    )


def _plan_section(
    inputs: PackInputs, props: pd.DataFrame, quarter: str, lads: list[str], la_names: pd.Series, members: bool
) -> Section:
    occupancy = property_occupancy(props)
    occupancy = occupancy[occupancy["lad_code"].isin(lads)]
    by_type = occupancy.groupby(["quarter", "lad_code", "accommodation_type"])["occupied"].sum()
    now = by_type.xs(quarter, level="quarter") if quarter in by_type.index.get_level_values(0) else by_type.iloc[:0]
    prev_q = previous_quarter(quarter)
    before = by_type.xs(prev_q, level="quarter") if prev_q in by_type.index.get_level_values(0) else by_type.iloc[:0]
    allocations = plan.allocations_in(inputs.area_settings, inputs.plan_allocations, quarter)
    rows = plan.plan_rows(props, allocations, quarter, lads, members)
    have_list = quarter in set(props["quarter"])
    plan_table = pd.DataFrame(
        {
            "LA": [la_names[lad] for lad in lads],
            "Allocation (agreed bedspaces)": rows["allocation"].map(lambda v: "not entered" if v != v else int(v)),
            "Occupied dispersal bedspaces": rows["occupied_text"] if members else rows["occupied"],
            "Occupied less allocation": rows["difference"],
            "Share of allocation (%)": rows["share"],
        }
    )
    alloc = rows["allocation"]
    keys = sorted(set(now.index) | set(before.index))
    growth = pd.DataFrame(
        {
            "LA": [la_names[k[0]] for k in keys],
            "Accommodation type": [k[1] for k in keys],
            f"Occupied bedspaces {prev_q}": [float(before.get(k, 0.0)) for k in keys],
            f"Occupied bedspaces {quarter}": [float(now.get(k, 0.0)) for k in keys],
        }
    )
    growth["Net growth"] = growth[f"Occupied bedspaces {quarter}"] - growth[f"Occupied bedspaces {prev_q}"]
    if members and len(growth):
        a, b = growth[f"Occupied bedspaces {prev_q}"], growth[f"Occupied bedspaces {quarter}"]
        hidden = disclosure.primary(disclosure.whole_counts(a)) | disclosure.primary(disclosure.whole_counts(b))
        growth[f"Occupied bedspaces {prev_q}"] = disclosed.count_text(a)
        growth[f"Occupied bedspaces {quarter}"] = disclosed.count_text(b)
        growth["Net growth"] = growth["Net growth"].map(lambda v: f"{v:+,.0f}").where(~hidden, "withheld")
    text = [
        "Full dispersal plan: the allocation agreed for each LA against the occupied dispersal bedspaces in "
        f"the provider's {quarter} lists; and net growth in occupied bedspaces per accommodation type since "
        f"{prev_q} (grant-relevant)."
    ]
    standing = [
        la_names[c] for c, s in zip(allocations["area_code"], allocations["source"]) if c in lads and s != quarter
    ]
    if len(allocations) and not alloc.isna().all():
        text.append(
            f"Allocations are those agreed for {quarter}"
            + (f"; {', '.join(standing)}: the standing allocation (none entered for the quarter)." if standing else ".")
        )
    if not have_list:
        text.append(f"No provider property list for {quarter} is loaded for these LAs.")
    if alloc.isna().all():
        text.append("No allocations are entered for these LAs yet.")
    return Section(
        "plan",
        "Plan against actual, and bedspace growth",
        text,
        [
            PackTable("plan_vs_actual", "Allocation against occupied bedspaces", plan_table),
            PackTable("bedspace_growth", f"Net growth in occupied bedspaces, {prev_q} to {quarter}", growth),
        ],
    )


def _proposals_section(
    proposals: pd.DataFrame,
    quarter: str,
    lads: list[str],
    property_lads: list[str],
    ward_names: pd.Series,
    la_names: pd.Series,
    members: bool,
) -> Section:
    months = quarter_months(quarter)
    received = pd.to_datetime(proposals["received_date"], errors="coerce")
    created = pd.to_datetime(proposals["created_at"], errors="coerce", utc=True).dt.tz_localize(None)
    when = received.fillna(created.dt.normalize())
    in_quarter = when.dt.strftime("%Y-%m").isin(months) & proposals["lad_code"].isin(lads)
    rows = proposals[in_quarter.fillna(False).to_numpy()].assign(_when=when[in_quarter.fillna(False)])
    text = [
        f"Proposed properties the provider consulted on (Asylum Accommodation Use Protocol) received in "
        f"{quarter}, and the responses given."
    ]
    if members:
        counts = rows.assign(LA=rows["lad_code"].map(la_names))
        return Section(
            "proposals",
            "Property consultations",
            text,
            [
                PackTable(
                    "proposals",
                    "Proposals by response",
                    disclosed.protected_crosstab(counts, "LA", "response", "Local authority"),
                )
            ],
        )
    shown = rows[rows["lad_code"].isin(property_lads)].sort_values("_when")
    frame = pd.DataFrame(
        {
            "Number": shown["id"].astype(int),
            "Received": shown["_when"].dt.date.astype(str),
            "Postcode": shown["postcode"].astype(str),
            "Ward": shown["ward_code"].map(ward_names).fillna("").astype(str),
            "LA": shown["lad_code"].map(la_names).fillna("").astype(str),
            "Provider": shown["provider"].astype("string").fillna("").astype(str),
            "Bedspaces": shown["bedspaces"].astype(int),
            "HMO": shown["is_hmo"].map({True: "yes", False: "no"}),
            "Response": shown["response"].astype(str),
            "Response date": shown["response_date"].map(lambda d: "" if d is None or d != d else str(d)),
            "Notes": shown["notes"].astype("string").fillna("").astype(str),
        }
    )
    answered = frame["Response"].value_counts()
    if len(frame):
        text.append(", ".join(f"{n} {k}" for k, n in answered.items()) + ".")
    else:
        text.append("None received in the quarter.")
    return Section(
        "proposals",
        "Property consultations",
        text,
        [PackTable("proposals", f"Proposals received in {quarter}", frame.reset_index(drop=True))],
    )


def _relevant_loads(loads: pd.DataFrame, quarter: str, months: list[str], lads: list[str]) -> pd.DataFrame:
    active = loads[loads["status"] == "active"]
    scope = active["scope"].astype("string").fillna("")
    covers = scope.map(lambda s: not s or bool(set(s.split(",")) & set(lads))).astype(bool)
    kind = active["kind"].astype(str)
    period = active["period"].astype("string").fillna("")
    wanted = (
        (kind.eq("home_office") & period.isin(months))
        | (kind.eq("properties") & period.isin([quarter, previous_quarter(quarter)]))
        | kind.isin(["geography", "public_stats"])
    )
    return active[(wanted & (covers | kind.isin(["geography", "public_stats"]))).to_numpy()]


def _quality_section(
    problems: pd.DataFrame, loads: pd.DataFrame, quarter: str, lads: list[str], scope: Scope
) -> Section:
    used = _relevant_loads(loads, quarter, quarter_months(quarter), lads)
    rows = problems[problems["load_id"].isin(used["id"]) & problems["kind"].isin(["home_office", "properties"])]
    frame = quality.quality_notes(rows, used, scope)
    text = [
        "Problems found when this quarter's files were loaded that did not stop the load (for example "
        "suppressed counts or postcodes that could not be placed)."
    ]
    if frame.empty:
        text.append("No data-quality notes for this quarter's files.")
    elif not frame["shown"].all():
        text.append(
            "Notes on files that also cover local authorities whose file-level detail your account may "
            "not see are listed without their words."
        )
    return Section(
        "quality",
        "Data-quality notes",
        text,
        [PackTable("data_quality", "Data-quality notes", frame.drop(columns="shown"))],
    )


def _sources_section(
    inputs: PackInputs, quarter: str, months: list[str], month: str, lads: list[str], members: bool
) -> Section:
    used = _relevant_loads(inputs.loads, quarter, months, lads).sort_values(["kind", "period", "file_name"])
    frame = pd.DataFrame(
        {
            "What": used["kind"].map(KIND_WORDS).fillna(used["kind"]).astype(str),
            "File": used["file_name"].astype(str),
            "Period": used["period"].astype("string").fillna("").astype(str),
            "Provider": used["provider"].astype("string").fillna("").astype(str),
            "Loaded on": _dates(used["loaded_at"]).astype(str),
            "Loaded by": used["loaded_by"].astype(str),
        }
    )
    pop = inputs.population[inputs.population["area_code"].isin(lads)]
    sources = sorted(pop["source"].dropna().astype(str).unique())
    year = _population_year(inputs.population, lads)
    counted = ", ".join(inputs.counted_types)
    text = [
        f"Home Office months used: {months[0]} to {months[-1]} ({len(months)} months); the position is at {month}.",
        f"People counted against the limit: accommodation type {counted} (Section 95 and Section 4); the limit is "
        f"{palette.limit_words(inputs.limit_ratio)} unless a variation is agreed for the area; "
        f'"approaching" from {inputs.approaching:.0%} of the limit.',
        f"Population (the denominator): {year or 'not known'}" + (f", {'; '.join(sources)}." if sources else "."),
        f"Property lists: {quarter} compared with {previous_quarter(quarter)}.",
    ]
    if members:
        text.append(
            'Disclosure control: counts under 5 read "fewer than 5"; ward counts are rounded to the '
            "nearest 5; no addresses, postcodes, sector figures or property locations."
        )
    return Section("sources", "Data sources", text, [PackTable("sources", "Files used", frame.reset_index(drop=True))])


# ------------------------------------------------------------------ maps and facts


def _address_appendix(sections: list[Section]) -> list[Section]:
    """Move every property-by-property listing (addresses) out of the body into one appendix at the end."""
    moved = []
    for section in sections:
        listings = [t for t in section.tables if "Address" in t.frame.columns]
        if not listings:
            continue
        section.tables = [t for t in section.tables if t not in listings]
        for table in listings:
            section.text.append(f"{table.title}: {len(table.frame):,} listed in the appendix, by LA.")
            by_la = [c for c in ("LA", "Change", "Postcode") if c in table.frame.columns]
            frame = table.frame.sort_values(by_la, kind="stable") if by_la else table.frame
            moved.append(PackTable(table.key, table.title, frame.reset_index(drop=True), table.note))
    if not moved:
        return []
    return [
        Section(
            "appendix",
            "Appendix: property addresses, by LA",
            ["The properties behind the tables above, grouped by local authority."],
            moved,
        )
    ]


def _ward_map(visible: pd.DataFrame, month: str, wards_section: Section) -> pd.DataFrame:
    wards = visible[(visible["level"] == "ward") & (visible["month"] == month)]
    labels = wards_section.tables[0].frame.set_index("Code")["Map label"] if wards_section.tables else pd.Series()
    return pd.DataFrame(
        {
            "area_code": wards["area_code"].astype(str),
            "area_name": wards["area_name"].astype(str),
            "lad_code": wards["lad_code"].astype(str),
            "la_name": wards["la_name"].astype(str),
            "status": wards["status"].astype(str),
            "share_of_limit": pd.to_numeric(wards["share_of_limit"], errors="coerce"),
            "people": pd.to_numeric(wards["people"], errors="coerce"),
            "population": pd.to_numeric(wards["population"], errors="coerce"),
            "people_display": wards["people_display"].astype(str),
            "suppressed": wards["suppressed"].astype(bool),
            "limit": pd.to_numeric(wards["limit"], errors="coerce"),
            "level": "ward",
            "label": wards["area_code"].map(labels).map(lambda v: "" if v != v else str(int(v))),
        }
    ).reset_index(drop=True)


def _no_points() -> pd.DataFrame:
    return pd.DataFrame({"lon": pd.Series(dtype=float), "lat": pd.Series(dtype=float), "change": pd.Series(dtype=str)})


def _points(props: pd.DataFrame, changes: pd.DataFrame, quarter: str, property_lads: list[str]) -> pd.DataFrame:
    current = props[(props["quarter"] == quarter) & props["lad_code"].isin(property_lads)].dropna(subset=["lon", "lat"])
    new_keys = set(changes.loc[changes["change"] == NEW, "property_key"])
    return pd.DataFrame(
        {
            "lon": current["lon"].astype(float),
            "lat": current["lat"].astype(float),
            "change": np.where(current["property_key"].isin(new_keys), "new", "in use"),
        }
    ).reset_index(drop=True)


def _facts(
    visible: pd.DataFrame,
    kind: str,
    code: str,
    month: str,
    months: list[str],
    quarter: str,
    sections: list[Section],
    population_year: int | None,
    members: bool,
) -> list[tuple[str, str]]:
    level = "region" if kind == REGION_PACK else "la"
    rows = visible[(visible["level"] == level) & (visible["area_code"] == code)].sort_values("month")
    facts: list[tuple[str, str]] = []
    las_now = visible[(visible["level"] == "la") & (visible["month"] == month)]
    missing = las_now.loc[las_now["status"].astype(str) == NO_DATA, "la_name"].astype(str).tolist()
    if len(rows) and str(rows.iloc[-1]["status"]) == NO_DATA:
        facts.append((f"Position at {month}", "no data: no Home Office file covers this area for the month"))
        rows = rows.iloc[0:0]
    if len(rows):
        last = rows.iloc[-1]
        share = last["share_of_limit"]
        shown = last["people_display"] if members else f"{last['people']:,.1f}"
        partial = ""
        if kind == REGION_PACK and missing:
            partial = f"; partial: {len(las_now) - len(missing)} of {len(las_now)} LAs reported"
        facts.append(
            (
                f"Position at {month}",
                f"{shown} people supported against a limit of {last['limit']:,.1f}"
                + (f" ({share:.0%} of the limit)" if share == share else "")
                + f": {STATUS_WORDS.get(str(last['status']), 'not known').lower()}"
                + (" (official flag)" if kind == LA_PACK else " (regional total)")
                + partial,
            )
        )
        rows = rows[rows["people"].notna()]
        first = rows.iloc[0]
        if not members and len(rows) > 1:
            facts.append((f"Change since {first['month']}", f"{last['people'] - first['people']:+,.1f} people"))
            until = trend.months_until_limit(rows.set_index("month")["people"], float(last["limit"]))
            facts.append(
                (
                    "Months until the limit at the recent trend",
                    "already over"
                    if until == 0
                    else ("not on course to reach it" if until is None else f"about {until:.0f}"),
                )
            )
    if missing:
        facts.append((f"LAs with no Home Office file for {month}", ", ".join(missing)))
    wards = visible[(visible["level"] == "ward") & (visible["month"] == month)]
    facts.append(
        ("Wards over the limit (local indicator)", f"{int((wards['status'] == 'breach').sum())} of {len(wards)}")
    )
    facts.append(("Wards approaching the limit", str(int((wards["status"] == "approaching").sum()))))
    tables = {t.key: t.frame for section in sections for t in section.tables}
    if not members and "property_changes" in tables:
        changes = tables["property_changes"]
        counts = changes["Change"].value_counts() if len(changes) else pd.Series(dtype=int)
        facts.append(
            (
                f"Properties in {quarter}",
                f"{int(counts.get('new', 0)):,} new, {int(counts.get('left', 0)):,} "
                f"left, {int(counts.get('capacity changed', 0)):,} capacity changed",
            )
        )
        facts.append(("New properties in wards already over the limit", f"{len(tables['placed_over_limit']):,}"))
    facts.append(("Months used", f"{months[0]} to {months[-1]}"))
    facts.append(("Population year", str(population_year or "not known")))
    return facts


def cell_text(value: object) -> str:
    """How a table cell reads in print and on screen: whole numbers without decimals, others to one place."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if value != value:
            return ""
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
