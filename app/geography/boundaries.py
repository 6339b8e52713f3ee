"""Ward and local-authority boundaries: one standard shape whatever ONS file they came from.

ONS publishes boundaries with vintage-coded columns (``WD24CD``, ``LAD24NM``),
in British National Grid or WGS84, sometimes with invalid rings. Everything
here works on GeoDataFrames already read (the readers do the file I/O) and
returns areas in EPSG:4326 with the columns in :data:`STANDARD_COLUMNS`.
Areas and distances are always measured in British National Grid.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from shapely.geometry.base import BaseGeometry

from app.problems import ProblemLog

WARD = "ward"
LAD = "lad"
LEVELS = (WARD, LAD)

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

STANDARD_COLUMNS = ["area_code", "area_name", "lad_code", "region_code", "region_name", "vintage", "geometry"]

GSS_CODE = re.compile(r"^[EWSN][0-9]{8}$")
#: GSS entity prefixes of each level, so a file of the wrong level is caught.
ENTITY_PREFIXES = {
    WARD: ("E05", "W05", "S13", "N08"),
    LAD: ("E06", "E07", "E08", "E09", "W06", "S12", "N09"),
}
LEVEL_WORDS = {WARD: "ward", LAD: "local authority"}
DEFAULT_DETAILS = {"fine": 30.0, "coarse": 150.0}
ROUNDING = {"fine": 5, "coarse": 4}

#: Vintage-coded column stems: (regex on the upper-cased column name, vintage prefix).
_STEMS = {
    WARD: [(r"WD(\d{2})", "WD")],
    LAD: [(r"LAD(\d{2})", "LAD"), (r"LAU1?(\d{2})", "LAU")],
    "region": [(r"RGN(\d{2})", "RGN")],
}
_PLAIN = {WARD: "ward", LAD: "lad", "region": "region"}
_MAX_LISTED = 20
#: Bounds that tell degrees from British National Grid metres when a file has no CRS.
_DEGREES = (-180.0, -90.0, 180.0, 90.0)
_BNG_EXTENT = (-200_000.0, -200_000.0, 900_000.0, 1_400_000.0)


def _find(columns: list[str], stem: str, suffix: str) -> tuple[str | None, str | None]:
    """Column ``<stem><yy><suffix>`` of the latest vintage, else the plain ``<level>_code`` form."""
    upper = {c.upper(): c for c in columns}
    best: tuple[int, str, str] | None = None
    for pattern, prefix in _STEMS[stem]:
        regex = re.compile(rf"^{pattern}{suffix}$")
        for key, original in upper.items():
            match = regex.match(key)
            if match:
                year = int(match.group(1))
                candidate = (year, original, f"{prefix}{match.group(1)}")
                if best is None or candidate[0] > best[0]:
                    best = candidate
        if best:
            return best[1], best[2]
    plain = f"{_PLAIN[stem]}_{'code' if suffix == 'CD' else 'name'}".upper()
    if plain in upper:
        return upper[plain], None
    return None, None


def detect_columns(columns: list[str], level: str) -> dict:
    """Find the code, name and parent columns of a boundary file of any vintage.

    The vintage comes from the column name (``WD24CD`` -> ``WD24``); the plain
    ``ward_code`` form of the reference files carries none.
    """
    _check_level(level)
    columns = [str(c) for c in columns if str(c) != "geometry"]
    code, vintage = _find(columns, level, "CD")
    name, _ = _find(columns, level, "NM")
    lad_code = _find(columns, LAD, "CD")[0] if level == WARD else None
    return {
        "code": code,
        "name": name,
        "lad_code": lad_code,
        "region_code": _find(columns, "region", "CD")[0],
        "region_name": _find(columns, "region", "NM")[0],
        "vintage": vintage,
    }


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")


def _text(series: pd.Series) -> pd.Series:
    out = series.astype("string").str.strip()
    return out.mask(out.eq(""))


def _listed(log: ProblemLog, rows: np.ndarray, message_of) -> None:
    """One refusal per offending row, up to a limit, then one line saying how many more."""
    for row in rows[:_MAX_LISTED]:
        log.refuse(message_of(row), row=int(row) + 1)
    if len(rows) > _MAX_LISTED:
        log.refuse(f"and {len(rows) - _MAX_LISTED} more rows with the same problem")


def _crs_decision(gdf: gpd.GeoDataFrame, log: ProblemLog) -> tuple[str | None, str]:
    """The CRS to assume and why: declared, or judged from the coordinate ranges."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isnan(minx):
        return None, ""
    in_degrees = minx >= _DEGREES[0] and miny >= _DEGREES[1] and maxx <= _DEGREES[2] and maxy <= _DEGREES[3]
    in_bng = minx >= _BNG_EXTENT[0] and miny >= _BNG_EXTENT[1] and maxx <= _BNG_EXTENT[2] and maxy <= _BNG_EXTENT[3]
    if gdf.crs is not None:
        if gdf.crs.is_geographic and not in_degrees:
            log.refuse(
                "the file says its coordinates are longitude/latitude degrees, but they look like metres "
                "(e.g. British National Grid); fix the coordinate reference system of the file"
            )
            return None, ""
        return gdf.crs.to_string(), f"declared in the file ({gdf.crs.to_string()})"
    if in_degrees:
        return WGS84, "no CRS in the file; coordinates are within ±180/±90, so read as WGS84 degrees (EPSG:4326)"
    if in_bng:
        return (
            BNG,
            "no CRS in the file; coordinates are metres within Great Britain, so read as British National Grid (EPSG:27700)",
        )
    log.refuse(
        "the file has no coordinate reference system and its coordinates are neither longitude/latitude "
        "degrees nor British National Grid metres"
    )
    return None, ""


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of a repaired geometry (make_valid may add lines or points)."""
    if geom is None or geom.is_empty or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _without_degenerate_parts(geom: BaseGeometry) -> BaseGeometry:
    """A polygon without repeated points, rings of no area or empty parts.

    GEOS's overlay and coverage operations stop with "Edge direction cannot be determined because endpoints are
    equal" on edges of zero length; these carry no area, so removing them changes no boundary.
    """
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return geom
    polygons = []
    for part in shapely.get_parts(geom):
        shell = _ring(part.exterior)
        if shell is None:
            continue
        holes = [h for h in (_ring(r) for r in part.interiors) if h is not None]
        polygons.append(shapely.Polygon(shell, holes))
    if not polygons:
        return shapely.Polygon()
    if geom.geom_type == "Polygon" and len(polygons) == 1:
        return polygons[0]
    return shapely.MultiPolygon(polygons)


def _ring(ring) -> np.ndarray | None:
    """A ring's coordinates without consecutive repeats; None when nothing of area is left."""
    xy = np.asarray(ring.coords)[:, :2]
    if len(xy) == 0:
        return None
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(xy) < 4 or not np.isfinite(xy).all():
        return None
    x, y = xy[:, 0], xy[:, 1]
    if 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) == 0:
        return None
    return xy


def repair(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Valid polygonal geometries; returns the repaired series and a mask of what was repaired."""
    values = np.empty(len(geoms), dtype=object)
    values[:] = [_without_degenerate_parts(g) for g in geoms.values]
    geoms = gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)
    invalid = ~geoms.is_valid.to_numpy() & geoms.notna().to_numpy()
    if not invalid.any():
        return geoms, invalid
    fixed = geoms.copy()
    repaired = shapely.make_valid(geoms.values[invalid])
    # An object array, so that a shape repaired to nothing (None) is not taken for an index.
    polygons = np.empty(len(repaired), dtype=object)
    polygons[:] = [_polygonal(g) for g in repaired]
    fixed[invalid] = polygons
    return fixed, invalid


def standardise_boundaries(gdf: gpd.GeoDataFrame, level: str, source: str = "") -> gpd.GeoDataFrame:
    """Standard columns, EPSG:4326, valid polygons, one row per code; or refuse the file.

    ``attrs`` of the result record ``crs_decision`` and ``repaired`` (codes whose
    geometry had to be repaired), so the reader can tell the officer.
    """
    _check_level(level)
    log = ProblemLog(file=source)
    columns = detect_columns(list(gdf.columns), level)
    if columns["code"] is None:
        other = [str(c) for c in gdf.columns if c != gdf.geometry.name] if isinstance(gdf, gpd.GeoDataFrame) else []
        example = "WD24CD or ward_code" if level == WARD else "LAD24CD or lad_code"
        log.refuse(
            f"no {LEVEL_WORDS[level]} code column found (expected e.g. {example}); "
            f"the file has the columns: {', '.join(other) if other else '(none)'}",
            code="missing_column",
        )
        log.raise_if_refused()
    if len(gdf) == 0:
        log.refuse("the file holds no areas (it is empty)", code="empty")
        log.raise_if_refused()

    codes = _text(gdf[columns["code"]]).str.upper().reset_index(drop=True)
    names = (
        _text(gdf[columns["name"]]).reset_index(drop=True)
        if columns["name"]
        else pd.Series(pd.NA, index=codes.index, dtype="string")
    )
    geoms = gpd.GeoSeries(gdf.geometry.values, crs=gdf.crs)
    _check_codes(codes, level, columns["code"], log)
    _check_geometries(geoms, codes, log)
    _check_duplicates(codes, names, log)
    crs, decision = _crs_decision(gdf, log)
    log.raise_if_refused()

    geoms = gpd.GeoSeries(geoms.values, crs=crs).to_crs(WGS84)
    geoms, repaired = repair(geoms)
    collapsed = np.flatnonzero(geoms.is_empty.to_numpy())
    _listed(log, collapsed, lambda r: f"the shape of area {codes.iloc[r]} is not a usable polygon, even after repair")
    log.raise_if_refused()

    out = pd.DataFrame(
        {
            "area_code": codes,
            "area_name": names,
            "lad_code": codes if level == LAD else _optional(gdf, columns["lad_code"], upper=True),
            "region_code": _optional(gdf, columns["region_code"], upper=True),
            "region_name": _optional(gdf, columns["region_name"]),
            "vintage": pd.Series(columns["vintage"] or pd.NA, index=codes.index, dtype="string"),
        }
    )
    result = _dissolve_duplicates(gpd.GeoDataFrame(out, geometry=geoms.values, crs=WGS84))
    result.attrs["crs_decision"] = decision
    result.attrs["repaired"] = sorted(set(codes[repaired]))
    return result


def _optional(gdf: gpd.GeoDataFrame, column: str | None, upper: bool = False) -> pd.Series:
    if column is None:
        return pd.Series(pd.NA, index=range(len(gdf)), dtype="string")
    values = _text(gdf[column]).reset_index(drop=True)
    return values.str.upper() if upper else values


def _check_codes(codes: pd.Series, level: str, column: str, log: ProblemLog) -> None:
    missing = np.flatnonzero(codes.isna().to_numpy())
    _listed(log, missing, lambda r: f"column '{column}' is empty: every area needs a code")
    bad = np.flatnonzero((~codes.fillna("").str.match(GSS_CODE.pattern) & codes.notna()).to_numpy())
    _listed(
        log, bad, lambda r: f"'{codes.iloc[r]}' in column '{column}' does not look like an ONS code (e.g. E05009236)"
    )
    gss = codes.fillna("").str.match(GSS_CODE.pattern)
    wrong = np.flatnonzero((gss & ~codes.fillna("").str.startswith(ENTITY_PREFIXES[level])).to_numpy())
    _listed(
        log,
        wrong,
        lambda r: (
            f"'{codes.iloc[r]}' is not a {LEVEL_WORDS[level]} code "
            f"({LEVEL_WORDS[level]} codes start with {', '.join(ENTITY_PREFIXES[level])})"
        ),
    )


def _check_geometries(geoms: gpd.GeoSeries, codes: pd.Series, log: ProblemLog) -> None:
    empty = np.flatnonzero((geoms.isna() | geoms.is_empty).to_numpy())
    _listed(log, empty, lambda r: f"area {codes.iloc[r]} has no shape (its geometry is empty)")
    kinds = geoms.geom_type
    wrong = np.flatnonzero((kinds.notna() & ~kinds.isin(["Polygon", "MultiPolygon"])).to_numpy())
    _listed(log, wrong, lambda r: f"area {codes.iloc[r]} is a {kinds.iloc[r]}, not a polygon: boundaries must be areas")


def _check_duplicates(codes: pd.Series, names: pd.Series, log: ProblemLog) -> None:
    frame = pd.DataFrame({"code": codes, "name": names}).dropna(subset=["code"])
    dup = frame[frame["code"].duplicated(keep=False)]
    if dup.empty:
        return
    clashing = dup.groupby("code")["name"].nunique()
    for code in clashing[clashing > 1].index[:_MAX_LISTED]:
        rows = dup.index[dup["code"] == code] + 1
        found = dup.loc[dup["code"] == code, "name"].dropna().unique()
        log.refuse(
            f"code {code} appears on rows {', '.join(map(str, rows))} with different names "
            f"({', '.join(repr(n) for n in found)})",
            code="duplicate",
        )


def _dissolve_duplicates(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per code: parts of an area given on several rows are merged into one multipolygon."""
    dup = gdf["area_code"].duplicated(keep=False)
    if not dup.any():
        return gdf.reset_index(drop=True)
    merged = gdf[dup].dissolve(by="area_code", aggfunc="first", as_index=False)
    merged["geometry"] = [_polygonal(shapely.make_valid(g)) for g in merged.geometry.values]
    merged = merged[gdf.columns]
    return gpd.GeoDataFrame(pd.concat([gdf[~dup], merged], ignore_index=True), crs=WGS84)[STANDARD_COLUMNS]


def to_bng(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame | gpd.GeoSeries:
    return gdf.to_crs(BNG)


def area_km2(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each shape in km², measured in British National Grid."""
    return to_bng(gdf).area / 1e6


def assign_parent_lads(wards: gpd.GeoDataFrame, lads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill each ward's missing ``lad_code`` from the LA it lies in.

    ONS ward boundary files carry no LA code, so the link is spatial. The LA
    is the one holding most of the ward's area: ward and LA files are
    generalised separately, and a representative point alone put Norwich's
    Thorpe Hamlet into Broadland. A ward touching no LA (coastline generalised
    differently) takes the LA nearest its representative point. Region code and
    name are taken from the LA wherever the LA has them.
    """
    out = wards.copy()
    if "lad_code" not in out:
        out["lad_code"] = pd.Series(pd.NA, index=out.index, dtype="string")
    missing = out["lad_code"].isna().to_numpy()
    lad_codes = lads["lad_code"].astype("string").to_numpy(dtype=object)
    if missing.any():
        ward_geoms = np.asarray(to_bng(wards.geometry).values, dtype=object)[missing]
        tree = shapely.STRtree(np.asarray(to_bng(lads.geometry).values, dtype=object))
        ward_idx, lad_idx = tree.query(ward_geoms, predicate="intersects")
        shared = shapely.area(shapely.intersection(ward_geoms[ward_idx], tree.geometries[lad_idx]))
        order = np.lexsort((-shared, ward_idx))
        firsts, first = np.unique(ward_idx[order], return_index=True)
        found = np.full(len(ward_geoms), -1)
        found[firsts] = lad_idx[order][first]
        alone = np.flatnonzero(found < 0)
        if len(alone):
            near_ward, near_lad = tree.query_nearest(shapely.point_on_surface(ward_geoms[alone]), all_matches=False)
            found[alone[near_ward]] = near_lad
        codes = out["lad_code"].astype("string").to_numpy(dtype=object)
        codes[missing] = np.where(found >= 0, lad_codes[np.maximum(found, 0)], None)
        out["lad_code"] = pd.array(codes, dtype="string")
    regions = lads.assign(lad_code=lad_codes).drop_duplicates("lad_code").set_index("lad_code")
    for column in ("region_code", "region_name"):
        if column in regions:
            from_lad = out["lad_code"].map(regions[column]).astype("string")
            current = (
                out[column].astype("string") if column in out else pd.Series(pd.NA, index=out.index, dtype="string")
            )
            out[column] = from_lad.fillna(current)
    return out


def coverage_defects(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> dict:
    """How far a set of polygons is from a clean coverage, in British National Grid.

    ``gap_area_m2``: holes enclosed by the coverage that no polygon covers;
    ``overlap_area_m2``: area covered by two neighbours at once;
    ``invalid_edge_length_m``: length of edges GEOS flags as not matching
    their neighbour's (0 for a valid coverage).
    """
    geoms = to_bng(gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf).values
    geoms = np.asarray(geoms, dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    union = shapely.union_all(geoms)
    holes = [
        shapely.area(shapely.Polygon(ring))
        for part in shapely.get_parts(union)
        if part.geom_type == "Polygon"
        for ring in part.interiors
    ]
    edges = shapely.coverage_invalid_edges(geoms)
    return {
        "n_polygons": len(geoms),
        "gap_area_m2": float(np.sum(holes)),
        "overlap_area_m2": float(np.sum(overlaps)),
        "invalid_edge_length_m": float(np.nansum(shapely.length(edges))),
        "valid_coverage": bool(shapely.coverage_is_valid(geoms)),
    }


def display_geometries(gdf: gpd.GeoDataFrame, details: dict[str, float] | None = None) -> dict[str, gpd.GeoSeries]:
    """Simplified map shapes per level of detail, still a gap-free coverage.

    ``details`` maps a level name to a tolerance in metres. Simplification is
    done together for all areas (``coverage_simplify``) so shared edges move
    as one; coordinates are then rounded (5 decimals for ``fine``, 4
    otherwise) by :func:`round_coverage`, which keeps the result a valid
    coverage.
    """
    details = DEFAULT_DETAILS if details is None else details
    bng = np.asarray(to_bng(gdf.geometry).values, dtype=object)
    result = {}
    for level, tolerance in details.items():
        try:
            simplified = shapely.coverage_simplify(bng, tolerance)
        except shapely.errors.GEOSException:
            # A coverage GEOS cannot simplify as one (e.g. areas that overlap): each shape alone, still valid.
            simplified = shapely.make_valid(shapely.simplify(bng, tolerance, preserve_topology=True))
        wgs = gpd.GeoSeries(simplified, index=gdf.index, crs=BNG).to_crs(WGS84)
        geoms = np.asarray(wgs.values, dtype=object)
        try:
            rounded = round_coverage(geoms, ROUNDING.get(level, 4))
        except shapely.errors.GEOSException:
            rounded = geoms
        result[level] = gpd.GeoSeries(rounded, index=gdf.index, crs=WGS84)
    return result


def round_coverage(geoms: np.ndarray, decimals: int) -> np.ndarray:
    """Round the coordinates of a coverage without breaking it.

    Rounding each polygon alone can push a vertex across its neighbour's edge
    or fold a ring. When it does, all the rounded edges are noded together
    (snap-rounded to the same grid), the faces rebuilt, and each face given
    to the area that held it before rounding; so neighbours still share edges
    exactly and every shape is valid.
    """
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    if shapely.is_valid(rounded).all() and shapely.coverage_is_valid(rounded):
        return rounded
    grid = 10.0**-decimals
    linework = shapely.union_all(shapely.boundary(rounded), grid_size=grid)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    points = shapely.point_on_surface(faces)
    tree = shapely.STRtree(geoms)
    face_idx, area_idx = tree.query(points, predicate="within")
    owner = np.full(len(faces), -1)
    owner[face_idx] = area_idx
    loose = np.flatnonzero(owner < 0)
    if len(loose):
        near_face, near_area = tree.query_nearest(points[loose], max_distance=2 * grid, all_matches=False)
        owner[loose[near_face]] = near_area
    out = rounded.copy()
    kept = owner >= 0
    groups = pd.Series(faces[kept]).groupby(owner[kept])
    for area, parts in groups:
        out[area] = shapely.coverage_union_all(parts.to_numpy(dtype=object))
    lost = np.setdiff1d(np.arange(len(geoms)), owner[kept])
    out[lost] = geoms[lost]
    return out


def vertex_count(geoms: gpd.GeoSeries) -> int:
    return int(shapely.get_num_coordinates(np.asarray(geoms.values, dtype=object)).sum())
