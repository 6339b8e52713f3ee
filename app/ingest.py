"""Load files into the store: read, check against the geography, write in one transaction.

Each function either loads the whole file (returning a :class:`LoadReport`)
or raises :class:`~app.problems.InputRefused` having written nothing. The
same bytes loaded twice change nothing; a new file for the same period and
area supersedes the old one, which stays in the history.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy import Engine

from app import materialise
from app.cluster import apportion as ap
from app.cluster import coverage as cover
from app.cluster import reconcile as rc
from app.geography import boundaries as gb
from app.geography.la_names import named_in, resolve_local_authorities
from app.geography.placement import place_points
from app.periods import MONTH, QUARTER  # noqa: F401  (the forms a command or upload accepts)
from app.problems import InputRefused, Problem, ProblemLog
from app.readers.boundaries import read_boundaries
from app.readers.home_office import read_home_office
from app.readers.population import read_population
from app.readers.postcode_lookup import read_postcode_lookups
from app.readers.properties import read_properties
from app.readers.public_stats import read_public_stats
from app.readers.tables import row_ranges
from app.store import db, loads, queries
from app.store import schema as s


@dataclass
class LoadReport:
    kind: str
    file: str
    load_id: int | None
    period: str | None = None
    rows: int = 0
    unchanged: bool = False
    superseded: list[int] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    #: LA code -> the load that was in force for it before this one.
    replaced: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.unchanged:
            return [f"{self.file}: already loaded as load {self.load_id}; nothing changed."]
        head = f"{self.file}: loaded {self.rows:,} rows as load {self.load_id}"
        if self.period:
            head += f" for {self.period}"
        out = [head + "."]
        out += [f"  {key.replace('_', ' ')}: {_counted(value)}" for key, value in self.facts.items()]
        if self.replaced:
            by_load: dict[int, list[str]] = {}
            for code, old in sorted(self.replaced.items()):
                by_load.setdefault(old, []).append(code)
            for old, codes in sorted(by_load.items()):
                out.append(f"  replaces load {old} for {', '.join(codes)} (kept in the history)")
        elif self.superseded:
            out.append(f"  replaces load(s) {', '.join(map(str, self.superseded))} (kept in the history)")
        if self.warnings:
            out.append(f"  {len(self.warnings)} data-quality note(s):")
            out += [f"    {w}" for w in self.warnings[:20]]
            if len(self.warnings) > 20:
                out.append(f"    ... and {len(self.warnings) - 20} more (see the load history)")
        return out


#: Kinds whose loads replace data LA-period by LA-period (the rest replace the whole earlier load).
COVERING = ("home_office", "properties")


@dataclass
class Prepared:
    """A file read and checked but not yet loaded: ``report`` says what ``commit()`` would load.

    The dashboard shows the report for the officer to confirm; the CLI commits at once.
    """

    report: LoadReport
    table: pd.DataFrame | None = None
    target: object = None
    checksum: str = ""
    scope: set[str] = field(default_factory=set)
    loaded_by: str = "cli"
    details: dict = field(default_factory=dict)
    engine: Engine | None = None
    #: (store version, areas, sector weights) read while checking the file: figuring reuses them if the
    #: store is still at that version when the load is committed.
    geography: tuple | None = None

    def __post_init__(self) -> None:
        """A cell the store cannot hold refuses the file now, at the preview, not at Confirm."""
        if self.table is not None and isinstance(self.target, sa.Table) and not self.report.unchanged:
            too_long = loads.overlong(self.table, self.target, self.report.file)
            if too_long:
                raise InputRefused(too_long)

    def commit(self) -> LoadReport:
        """Load in one transaction: record the load, supersede what it replaces, insert rows and problems."""
        report = self.report
        if report.unchanged:
            return report
        with db.writing(self.engine) as conn:
            inputs = None
            if self.geography is not None and loads.get_meta(conn, "version") == self.geography[0]:
                inputs = materialise.Inputs(conn, self.geography[1], self.geography[2])
            load_id = loads.start_load(
                conn,
                kind=report.kind,
                file_name=report.file,
                checksum=self.checksum,
                period=report.period,
                scope=",".join(sorted(self.scope)) or None,
                provider=self.details.get("provider"),
                loaded_by=self.loaded_by,
                rows=report.rows,
                details=self.details,
            )
            if report.kind in COVERING:
                replaced = loads.cover(
                    conn,
                    load_id=load_id,
                    kind=report.kind,
                    period=report.period,
                    lad_codes=self.scope,
                    provider=self.details.get("provider"),
                    incomplete=self.details.get("partly_covered", ()),
                )
                superseded = sorted(set(replaced.values()))
            else:
                # Published tables carry every quarter, so a new edition replaces the old one whatever its date.
                superseded = loads.supersede(
                    conn, kind=report.kind, period=None, scope_codes=None, provider=None, new_load_id=load_id
                )
            # __post_init__ held the table to the target's lengths (loads.overlong).
            loads.insert_frame(conn, self.target, self.table, load_id=load_id, checked=True)
            loads.add_problems(conn, load_id, report.warnings)
            materialise.refresh(conn, load_id, inputs=inputs)
        return LoadReport(
            report.kind,
            report.file,
            load_id,
            report.period,
            report.rows,
            False,
            superseded,
            report.warnings,
            report.facts,
            replaced if report.kind in COVERING else {},
        )


def undo_load(conn: sa.Connection, load_id: int, progress: materialise.Progress | None = None) -> None:
    """Withdraw a load (:func:`app.store.loads.undo_load`) and recompute, in the same transaction, the figures
    of what it covered, so that the kept figures never disagree with the loads in force."""
    loads.undo_load(conn, load_id)
    materialise.refresh(conn, load_id, progress)


def _already_loaded(engine: Engine, kind: str, path: Path) -> tuple[str, Prepared | None]:
    checksum = loads.file_checksum(path)
    with engine.connect() as conn:
        same = loads.find_active_load(conn, kind, checksum)
    if same is None:
        return checksum, None
    return checksum, Prepared(LoadReport(kind, path.name, same, unchanged=True), engine=engine)


# ---------------------------------------------------------------- geography


def load_geography(
    engine: Engine,
    *,
    wards: Path,
    lads: Path,
    population: Path,
    postcodes: list[Path],
    region: str | None = None,
    loaded_by: str = "cli",
    progress: materialise.Progress | None = None,
) -> LoadReport:
    """Boundaries, populations and postcodes, replacing the store's geography as one load.

    Every month's figures are recomputed over the new wards in the same transaction (``progress`` hears of each).
    """
    log = ProblemLog("geography")
    files = [wards, lads, population, *postcodes]
    checksum = hashlib.sha256(("".join(loads.file_checksum(p) for p in files) + (region or "")).encode()).hexdigest()
    with engine.connect() as conn:
        same = loads.find_active_load(conn, "geography", checksum)
    if same is not None:
        return LoadReport("geography", Path(wards).name, same, unchanged=True)
    ward_gdf = read_boundaries(wards, gb.WARD)
    lad_gdf = read_boundaries(lads, gb.LAD)
    if region:
        lad_gdf = lad_gdf[lad_gdf["region_code"] == region]
        if lad_gdf.empty:
            raise InputRefused([Problem(f"no local authority in region {region}", Path(lads).name, column="region")])
    ward_gdf = gb.assign_parent_lads(ward_gdf, lad_gdf)
    outside = ward_gdf["lad_code"].isna() | ~ward_gdf["lad_code"].isin(lad_gdf["area_code"])
    if outside.any() and not region:
        sample = ", ".join(ward_gdf.loc[outside, "area_code"].head(5))
        raise InputRefused(
            [
                Problem(
                    f"{int(outside.sum())} ward(s) lie in no local authority of {Path(lads).name} (e.g. {sample})",
                    Path(wards).name,
                )
            ]
        )
    ward_gdf = ward_gdf[~outside].copy()
    ward_gdf["region_code"] = ward_gdf["lad_code"].map(lad_gdf.set_index("area_code")["region_code"])
    ward_gdf["region_name"] = ward_gdf["lad_code"].map(lad_gdf.set_index("area_code")["region_name"])

    pop = read_population(population)
    pop_table = pop.table[pop.table["area_code"].isin(set(ward_gdf["area_code"]) | set(lad_gdf["area_code"]))]
    missing = sorted(set(ward_gdf["area_code"]) - set(pop_table["area_code"]))
    if missing:
        log.warn(f"{len(missing)} ward(s) have no population row (e.g. {', '.join(missing[:5])})", code="no_population")
    names = pd.concat([ward_gdf, lad_gdf]).set_index("area_code")["area_name"]
    for code in pop_table.loc[pop_table["population"].isna(), "area_code"]:
        log.warn(
            f"{names.get(code, code)} ({code}) has no population figure, so its limit cannot be computed",
            code="no_population",
        )

    lookup = read_postcode_lookups(postcodes)
    placed = place_postcodes(lookup.table, ward_gdf, set(lad_gdf["area_code"]))
    ward_population = pop_table.drop_duplicates("area_code", keep="last").set_index("area_code")["population"]
    weights = ap.sector_weights(placed[placed["ward_code"].notna()], ward_population)
    unplaced = int(placed["ward_code"].isna().sum())
    if unplaced:
        log.warn(f"{unplaced} postcode(s) have no coordinates and no ward, so are not used", code="unplaced_postcode")

    areas, display = _areas_and_display(ward_gdf, lad_gdf)
    facts = {
        "local authorities": len(lad_gdf),
        "wards": len(ward_gdf),
        "postcodes": int(placed["ward_code"].notna().sum()),
        "postcode sectors": int(weights["postcode_sector"].nunique()),
        "placed by point in polygon": int((placed["placed_by"] != "lookup").sum() - unplaced),
        "population year": ", ".join(str(y) for y in sorted(pop_table["source_year"].dropna().unique())),
    }
    details = dict(facts, files=[Path(p).name for p in [wards, lads, population, *postcodes]], region=region)
    # The population file covers more areas than are loaded; only the loaded ones' gaps matter.
    warnings = log.warnings + lookup.warnings + [w for w in pop.warnings if w.code != "missing_population"]
    with db.writing(engine) as conn:
        load_id = loads.start_load(
            conn,
            kind="geography",
            file_name=Path(wards).name,
            checksum=checksum,
            period=None,
            scope=region,
            provider=None,
            loaded_by=loaded_by,
            rows=len(ward_gdf) + len(lad_gdf),
            details=details,
        )
        superseded = loads.supersede(
            conn, kind="geography", period=None, scope_codes=None, provider=None, new_load_id=load_id
        )
        loads.replace_geography(
            conn,
            areas=areas,
            display=display,
            population=pop_table,
            postcodes=placed,
            sector_weights=weights,
            load_id=load_id,
        )
        loads.add_problems(conn, load_id, warnings)
        loads.set_meta(
            conn, "population_years", json.dumps(sorted(int(y) for y in pop_table["source_year"].dropna().unique()))
        )
        materialise.refresh(conn, load_id, progress)
    return LoadReport("geography", Path(wards).name, load_id, None, len(ward_gdf), False, superseded, warnings, facts)


def place_postcodes(lookup: pd.DataFrame, wards, lad_codes: set[str]) -> pd.DataFrame:
    """Postcodes of the loaded LAs, in wards.

    The lookup's ward code is used when it belongs to the loaded boundaries;
    otherwise (no code, or another vintage) the postcode is placed by point in
    polygon. Postcodes the lookup puts in other LAs are left out.
    """
    known = lookup["ward_code"].isin(set(wards["area_code"]))
    ours = known | lookup["lad_code"].isna() | lookup["lad_code"].isin(lad_codes)
    table = lookup[ours].copy()
    known = known[ours]
    table["placed_by"] = np.where(known, "lookup", "unplaced")
    table.loc[~known, "ward_code"] = pd.NA
    need = ~known & table["lat"].notna()
    if need.any():
        placed = place_points(table.loc[need, ["lat", "lon"]], wards)
        table.loc[need, "ward_code"] = placed["ward_code"]
        table.loc[need, "placed_by"] = placed["placed_by"]
    in_lads = table["lad_code"].isin(lad_codes)
    table["lad_code"] = table["ward_code"].map(wards.set_index("area_code")["lad_code"]).fillna(table["lad_code"])
    table = table[table["ward_code"].notna() | in_lads]
    return table[["postcode", "postcode_sector", "lat", "lon", "ward_code", "lad_code", "placed_by"]]


def _areas_and_display(ward_gdf, lad_gdf) -> tuple[pd.DataFrame, pd.DataFrame]:
    regions = lad_gdf.dissolve(by="region_code", as_index=False, aggfunc={"region_name": "first"})
    regions = regions.assign(
        area_code=regions["region_code"], area_name=regions["region_name"], lad_code=pd.NA, vintage=""
    )
    frames, display = [], []
    for level, gdf in (("ward", ward_gdf), ("lad", lad_gdf), ("region", regions)):
        gdf = gdf.reset_index(drop=True)
        frames.append(
            pd.DataFrame(
                {
                    "area_code": gdf["area_code"],
                    "level": level,
                    "area_name": gdf["area_name"],
                    "lad_code": (gdf["area_code"] if level == "lad" else gdf["lad_code"]).astype("string"),
                    "region_code": gdf["region_code"],
                    "region_name": gdf["region_name"],
                    "vintage": gdf["vintage"],
                    "area_km2": gb.area_km2(gdf).to_numpy(),
                    "geometry": shapely.to_wkb(gdf.geometry.to_numpy()),
                }
            )
        )
        for detail, series in gb.display_geometries(gdf).items():
            display.append(
                pd.DataFrame(
                    {"area_code": gdf["area_code"], "detail": detail, "geojson": shapely.to_geojson(series.to_numpy())}
                )
            )
    return pd.concat(frames, ignore_index=True), pd.concat(display, ignore_index=True)


# ---------------------------------------------------------------- monthly data


def _refuse_unresolved(
    table: pd.DataFrame, unresolved: pd.Series, file: str, what: str, column: str | None = None
) -> None:
    """One refusal per distinct value that names no loaded LA, with its rows, under the file's own header."""
    if not unresolved.any():
        return
    header = column or "local_authority"
    bad = table.loc[unresolved, ["local_authority", "sheet", "source_row"]]
    problems = []
    for (name, sheet), rows in bad.groupby(["local_authority", "sheet"], dropna=False, sort=False)["source_row"]:
        rows = sorted(int(r) for r in rows)
        problems.append(
            Problem(
                f"{what} '{name}' ({row_ranges(rows)}) is not a local authority in the loaded "
                "geography: write the council's name or its GSS code (e.g. E08000035)",
                file,
                None if pd.isna(sheet) else sheet,
                rows[0],
                header,
            )
        )
    raise InputRefused(problems[:200])


def prepare_home_office(
    engine: Engine,
    path: Path,
    *,
    month: str | None = None,
    profile: Path | None = None,
    sheet: str | None = None,
    loaded_by: str = "cli",
) -> Prepared:
    """Read and check one monthly restricted file against the loaded geography."""
    path = Path(path)
    checksum, same = _already_loaded(engine, "home_office", path)
    if same:
        return same
    with engine.connect() as conn:
        version = loads.get_meta(conn, "version")
        areas = queries.areas(conn)
        weights = queries.sector_weights(conn)
    lads = areas[areas["level"] == "lad"].reset_index(drop=True)
    if lads.empty:
        raise InputRefused([Problem("no geography is loaded: run `geography load` first", path.name)])
    result = read_home_office(path, month=month, profile=profile, sheet=sheet)
    table = result.table
    table["lad_code"], unresolved = resolve_local_authorities(table["local_authority"], lads)
    _refuse_unresolved(table, unresolved, path.name, "local authority", result.meta["columns"].get("local_authority"))

    # Property lists only change how a sector is split between wards, not whether it can be placed: the
    # check is worked out once per distinct (sector, LA), and the figures are apportioned once, at commit.
    split = ap.placement(table, weights)
    found = cover.file_scope(table, split, weights, lads, hint=named_in(path.name, lads))
    if found.problems:
        raise InputRefused([Problem(text, path.name, column=column) for text, column in found.problems])
    if found.pinned is not None:
        table["lad_code"] = table["lad_code"].fillna(found.pinned).astype("string")
        split = ap.placement(table, weights)
    stray = split.unallocated["lad_code"].isna()
    if stray.any():
        _refuse_unplaceable(table, split.unallocated[stray], path.name)
    warnings = list(result.warnings) + _placement_warnings(table, split, lads, path.name)
    scope = found.lad_codes
    month_found = result.meta["month"]
    warnings += _provider_mismatches(engine, table, month_found, scope, lads, path.name)
    facts = {
        "month": month_found,
        "people": _people(table["people"].sum()),
        "stated total in the file": _stated_total(result.meta),
        "postcode sectors": int(table["postcode_sector"].nunique()),
        "local authorities": ", ".join(sorted(lads.set_index("area_code").loc[sorted(scope), "area_name"])),
        "suppressed counts": int(table["suppressed"].sum()),
        "people placed in no ward": _people(split.unallocated["people"].sum()),
    }
    report = LoadReport("home_office", path.name, None, month_found, len(table), False, [], warnings, facts)
    details = _jsonable(dict(result.meta, **facts, partly_covered=sorted(found.partly)))
    return Prepared(report, table, s.ho_records, checksum, scope, loaded_by, details, engine, (version, areas, weights))


def ingest_home_office(engine: Engine, path: Path, **options) -> LoadReport:
    """One monthly restricted file; replaces the same month for the LAs it covers."""
    return prepare_home_office(engine, path, **options).commit()


def _refuse_unplaceable(table: pd.DataFrame, lost: pd.DataFrame, file: str) -> None:
    """People whose sector is unknown in a file that names no LA could be counted in no LA at all: refuse."""
    rows = table.loc[lost["record"], ["sheet", "source_row", "postcode_sector", "people"]]
    raise InputRefused(
        [
            Problem(
                f"postcode sector '{sector}' is not a known sector and the file names no local authority, so its "
                f"{_people(people)} people could be counted in no LA: add a local authority column, or correct "
                "the sector",
                file,
                sheet,
                int(row),
                "postcode_sector",
            )
            for sheet, row, sector, people in rows.itertuples(index=False)
        ][:200]
    )


def _stated_total(meta: dict) -> str:
    """The file's own total beside the loaded one (the reader has refused a file whose totals disagree)."""
    stated = meta.get("stated_total")
    if stated is None:
        return "none stated in the file"
    blocks = len({b.get("row") for b in meta.get("blocks", []) if not b.get("overall")})
    per_block = f", and {blocks} block total{'s' if blocks != 1 else ''} match" if blocks > 1 else ""
    loaded = meta.get("loaded_total", stated)
    if abs(loaded - stated) < 0.05:
        return f"{_people(stated)} (matches the {_people(loaded)} loaded{per_block})"
    return (
        f"{_people(stated)} (the {_people(loaded)} loaded differ only by the estimates of suppressed counts, "
        f"within their range{per_block})"
    )


def _counted(value: object) -> object:
    """Counts as people read them, with thousands separators (the CLI once printed 1909 beside 1,537)."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def _people(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _placement_warnings(table: pd.DataFrame, split: ap.Apportioned, lads: pd.DataFrame, file: str) -> list[Problem]:
    if split.unallocated.empty:
        return []
    names = lads.set_index("area_code")["area_name"]
    lost = split.unallocated.merge(table[["sheet", "source_row"]], left_on="record", right_index=True)
    out = []
    for reason, sheet, row in lost[["reason", "sheet", "source_row"]].itertuples(index=False):
        reason = re.sub(r"in ([EWSN]\d{8})$", lambda m: f"in {names.get(m.group(1), m.group(1))}", reason)
        out.append(
            Problem(
                reason + "; its people are counted in the LA but in no ward",
                file,
                sheet,
                int(row),
                "postcode_sector",
                "unknown_sector",
                "warn",
            )
        )
    return out


def _provider_mismatches(
    engine: Engine, table: pd.DataFrame, month: str, scope: set[str], lads: pd.DataFrame, file: str, limit: int = 50
) -> list[Problem]:
    """Sectors where this month's count and the provider's occupancy disagree (when a list covers the month)."""
    quarters = [ap.quarter_of(month), ap.previous_quarter(ap.quarter_of(month))]
    with engine.connect() as conn:
        props = pd.concat([queries.properties(conn, quarter=q) for q in quarters], ignore_index=True)
    props = props[props["lad_code"].isin(scope)]
    if props.empty or table["lad_code"].isna().any():
        return []
    records = table.assign(month=month)
    found = rc.sector_reconciliation(records, props, month)
    found = found[found["mismatch"]]
    names = lads.set_index("area_code")["area_name"]
    out = [
        Problem(
            f"sector {row.postcode_sector} in {names.get(row.lad_code, row.lad_code)}: the Home Office count is "
            f"{row.home_office:g} but the provider's list for {row.quarter} shows {row.provider:g} people in "
            "dispersal properties there",
            file,
            column="postcode_sector",
            code="provider_mismatch",
            severity="warn",
        )
        for row in found.head(limit).itertuples()
    ]
    if len(found) > limit:
        out.append(
            Problem(
                f"{len(found) - limit} more sectors disagree with the provider's list",
                file,
                code="provider_mismatch",
                severity="warn",
            )
        )
    return out


def _jsonable(meta: dict) -> dict:
    return json.loads(json.dumps(meta, default=str))


# ---------------------------------------------------------------- property lists


def prepare_properties(
    engine: Engine,
    path: Path,
    *,
    provider: str,
    quarter: str | None = None,
    profile: Path | None = None,
    sheet: str | None = None,
    loaded_by: str = "cli",
) -> Prepared:
    """Read one provider's quarterly list and geocode it by postcode."""
    path = Path(path)
    checksum, same = _already_loaded(engine, "properties", path)
    if same:
        return same
    with engine.connect() as conn:
        lads = queries.areas(conn, level="lad")
    if lads.empty:
        raise InputRefused([Problem("no geography is loaded: run `geography load` first", path.name)])
    result = read_properties(path, provider=provider, quarter=quarter, profile=profile, sheet=sheet)
    table = result.table
    named, unresolved = resolve_local_authorities(table["local_authority"], lads)
    _refuse_unresolved(table, unresolved, path.name, "local authority", result.meta["columns"].get("local_authority"))
    with engine.connect() as conn:
        found = queries.postcodes(conn, sorted(table["postcode"].dropna().unique()))
    table = geocode(table, found)
    warnings = list(result.warnings)
    unmatched = table["postcode"].notna() & table["ward_code"].isna()
    for postcode, sheet_name, row in table.loc[unmatched, ["postcode", "sheet", "source_row"]].itertuples(index=False):
        warnings.append(
            Problem(
                f"postcode {postcode} is not in the postcode lookup, so the property is on no map",
                path.name,
                sheet_name,
                int(row),
                "postcode",
                "unmatched_postcode",
                "warn",
            )
        )
    disagree = named.notna() & table["lad_code"].notna() & (named != table["lad_code"])
    for written, sheet_name, row in table.loc[disagree, ["local_authority", "sheet", "source_row"]].itertuples(
        index=False
    ):
        warnings.append(
            Problem(
                f"the list says '{written}' but the postcode lies in another local authority",
                path.name,
                sheet_name,
                int(row),
                "local_authority",
                "la_mismatch",
                "warn",
            )
        )
    table["lad_code"] = table["lad_code"].fillna(named)
    provider_name = table["provider"].iloc[0] if len(table) else provider
    quarter_found = result.meta["quarter"]
    scope = set(table["lad_code"].dropna())
    facts = {
        "quarter": quarter_found,
        "provider": provider_name,
        "properties": len(table),
        "bedspaces": int(table["bedspaces"].sum()),
        "occupied": _people(float(table["occupied"].fillna(0).sum())),
        "postcodes not found": int(unmatched.sum() + table["postcode"].isna().sum()),
    }
    report = LoadReport("properties", path.name, None, quarter_found, len(table), False, [], warnings, facts)
    details = _jsonable(dict(result.meta, **facts))
    return Prepared(report, table, s.properties, checksum, scope, loaded_by, details, engine)


def ingest_properties(engine: Engine, path: Path, **options) -> LoadReport:
    """One provider's quarterly list; replaces that provider's quarter for the LAs it covers."""
    return prepare_properties(engine, path, **options).commit()


def geocode(table: pd.DataFrame, postcodes: pd.DataFrame) -> pd.DataFrame:
    """Coordinates, ward and LA of each property from its postcode."""
    found = postcodes.drop_duplicates("postcode").set_index("postcode")
    out = table.copy()
    for column in ("lat", "lon", "ward_code", "lad_code"):
        out[column] = out["postcode"].map(found[column]) if len(found) else pd.NA
    return out


# ---------------------------------------------------------------- published statistics


def prepare_public_stats(engine: Engine, path: Path, *, loaded_by: str = "cli") -> Prepared:
    """Read the published LA table (every UK LA, every quarter)."""
    path = Path(path)
    checksum, same = _already_loaded(engine, "public_stats", path)
    if same:
        return same
    result = read_public_stats(path)
    table = result.table
    latest = str(table["date"].max()) if len(table) else None
    facts = {
        "quarters": int(table["date"].nunique()),
        "latest quarter": latest,
        "local authorities": int(table.loc[table["date"] == latest, "lad_code"].dropna().nunique()) if latest else 0,
        "people in the latest quarter": int(table.loc[table["date"] == latest, "people"].sum()) if latest else 0,
    }
    report = LoadReport("public_stats", path.name, None, latest, len(table), False, [], result.warnings, facts)
    return Prepared(
        report, table, s.public_stats, checksum, set(), loaded_by, _jsonable(dict(result.meta, **facts)), engine
    )


def ingest_public_stats(engine: Engine, path: Path, *, loaded_by: str = "cli") -> LoadReport:
    """The published LA table; a newer edition replaces the previous one whole."""
    return prepare_public_stats(engine, path, loaded_by=loaded_by).commit()
