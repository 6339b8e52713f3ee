"""A fictional geography, written as the files ONS users download, with its truth kept.

Why: the demo, the tests and the benchmarks need wards, LAs, populations and
postcodes whose answers are known exactly, and they must reach the dashboard
through the same code path as real ONS files. Everything is drawn from one
seeded generator, so a seed always gives the same bytes.

Geometry (EPSG:27700, British National Grid): ward polygons are Voronoi cells of
seeded points clipped to an irregular outline, with coordinates on a 1 m grid,
so they tile the outline with no gap or overlap. LAs are unions of contiguous
wards, so ward and LA boundaries coincide exactly. Scale ``region`` is
"Northmoor" (``E12000099``), 6 LAs and about 120 wards centred on E 445000,
N 345000 (the Derbyshire/Nottinghamshire border, inland England, about 60 km
across). Scale ``national`` is 8 fictional regions (``E12000091``...), about
330 LAs and 8,000 wards centred on E 430000, N 330000.

Postcodes use areas that do not exist (``ZX``; at national scale also other
``Z?`` areas). Units are points inside wards, about one per 40 residents at
region scale. Districts and sectors are groups of nearby units drawn
independently of the wards (nearest-seed cells), so most sectors straddle
several wards and some straddle LAs.

Codes are GSS-shaped but not real: wards ``E0599nnnn`` (national
``E0598nnnn``), LAs ``E069999nn`` (national ``E0699nnnn``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
SOURCE_YEAR = 2021
REGION_CODE = "E12000099"
REGION_NAME = "Northmoor"
NATIONAL_REGIONS = (
    ("E12000091", "Eastwold"),
    ("E12000092", "Southfen"),
    ("E12000093", "Westmarch"),
    ("E12000094", "Highdale"),
    ("E12000095", "Lowvale"),
    ("E12000096", "Midshire"),
    ("E12000097", "Coldharbour"),
    ("E12000098", "Greymere"),
)
#: Postcode areas that do not exist in the UK (ZE, Shetland, does; it is left out).
FAKE_AREAS = (
    "ZX",
    "ZY",
    "ZW",
    "ZV",
    "ZU",
    "ZT",
    "ZS",
    "ZR",
    "ZQ",
    "ZP",
    "ZN",
    "ZM",
    "ZL",
    "ZK",
    "ZJ",
    "ZH",
    "ZG",
    "ZF",
    "ZD",
    "ZC",
    "ZB",
    "ZA",
    "ZZ",
)
#: Letters used in real inward codes (C, I, K, M, O, V never are); the rest only if a sector overflows.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
EXTRA_LETTERS = "CIKMOV"
WARD_POP = (4_000, 15_000)
LA_POP = (80_000, 500_000)
CHILD_SHARE = (0.18, 0.26)
#: Fixed timestamp GDAL writes into GeoPackages, so that the bytes do not depend on the clock.
FIXED_DATE = "2024-05-01T00:00:00.000Z"

_PREFIXES = (
    "Ash",
    "Brack",
    "Bram",
    "Cold",
    "Crag",
    "Dun",
    "Elm",
    "Fen",
    "Gris",
    "Hart",
    "Hazel",
    "Holm",
    "Kirk",
    "Lang",
    "Lark",
    "Mar",
    "Mill",
    "Ness",
    "Oak",
    "Pen",
    "Red",
    "Rook",
    "Sand",
    "Shel",
    "Stain",
    "Thorn",
    "Wick",
    "Wold",
    "Wren",
    "Yew",
    "Alder",
    "Birch",
    "Bur",
    "Cal",
    "Dal",
    "Eld",
    "Farn",
    "Gil",
    "Hol",
    "Ing",
    "Kel",
    "Lyn",
    "Moor",
    "Nor",
    "Ow",
    "Quen",
    "Ry",
    "Sel",
    "Tod",
    "Ux",
)
_SUFFIXES = (
    "by",
    "ton",
    "ley",
    "ham",
    "field",
    "worth",
    "dale",
    "thorpe",
    "moor",
    "stead",
    "well",
    "bridge",
    "gate",
    "holme",
    "wick",
    "burn",
    "ford",
    "hurst",
    "combe",
    "side",
    "cote",
    "mere",
)
_QUALIFIERS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Park",
    "Village",
    "Green",
    "Hill",
    "Rural",
    "Town",
    "Common",
    "Vale",
    "Heath",
    "Marsh",
    "Upper",
    "Lower",
    "Old",
    "New",
)


@dataclass(frozen=True)
class RegionFiles:
    """Paths of a generated geography: the four ONS-style files and the truth folder."""

    wards: Path
    lads: Path
    population: Path
    postcodes: Path
    truth_dir: Path

    @classmethod
    def in_dir(cls, out_dir: Path) -> RegionFiles:
        """The files :func:`generate_region` wrote into ``out_dir``."""
        out_dir = Path(out_dir)
        return cls(
            wards=out_dir / "wards_WD24_BNG.geojson",
            lads=out_dir / "lad_LAD24_BNG.gpkg",
            population=out_dir / "population_2021.csv",
            postcodes=out_dir / "ONSPD_lookup.csv",
            truth_dir=out_dir / "truth",
        )

    def geography_load(self, db_url: str) -> list[str]:
        """The ``python -m app`` arguments that load these files into a store, as a user would type them."""
        files = (
            "--wards",
            self.wards,
            "--lads",
            self.lads,
            "--population",
            self.population,
            "--postcodes",
            self.postcodes,
        )
        return ["geography", "load", "--db", db_url, *map(str, files)]


@dataclass(frozen=True)
class _Scale:
    n_wards: int
    n_lads: int
    regions: tuple[tuple[str, str], ...]
    centre: tuple[float, float]
    radius: float
    n_towns: int
    #: residents per postcode unit; None: chosen to give ``units_per_sector`` at ``n_sectors``.
    residents_per_unit: float | None
    units_per_sector: float
    n_sectors: int
    n_districts: int
    ward_prefix: str
    lad_prefix: str


SCALES = {
    "region": _Scale(
        n_wards=120,
        n_lads=6,
        regions=((REGION_CODE, REGION_NAME),),
        centre=(445_000.0, 345_000.0),
        radius=30_000.0,
        n_towns=4,
        residents_per_unit=40.0,
        units_per_sector=190.0,
        n_sectors=0,
        n_districts=40,
        ward_prefix="E0599",
        lad_prefix="E069999",
    ),
    "national": _Scale(
        n_wards=8_000,
        n_lads=330,
        regions=NATIONAL_REGIONS,
        centre=(430_000.0, 330_000.0),
        radius=210_000.0,
        n_towns=60,
        residents_per_unit=None,
        units_per_sector=25.0,
        n_sectors=10_000,
        n_districts=1_700,
        ward_prefix="E0598",
        lad_prefix="E0699",
    ),
}


def generate_region(out_dir: Path, *, seed: int = 1, scale: str = "region") -> RegionFiles:
    """Write a fictional geography into ``out_dir`` (same seed, same bytes) and return its paths."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    spec = SCALES[scale]
    rng = np.random.default_rng([seed, 27700])
    files = RegionFiles.in_dir(Path(out_dir))
    files.truth_dir.mkdir(parents=True, exist_ok=True)

    outline = _outline(rng, spec.centre, spec.radius)
    cells, adjacency = _ward_cells(rng, outline, spec)
    lad_of_ward, populations = _assign_lads(rng, cells, adjacency, spec)
    region_of_lad = _assign_regions(rng, cells, lad_of_ward, adjacency, spec)
    wards, lads = _name_areas(rng, cells, lad_of_ward, populations, region_of_lad, spec)
    units = _postcode_units(rng, wards, spec)

    _write_wards(wards, files.wards)
    _write_lads(lads, files.lads)
    _write_population(wards, lads, files.population)
    _write_postcodes(units, files.postcodes)
    _write_truth(wards, lads, units, files.truth_dir, seed=seed, scale=scale, spec=spec)
    return files


# --- geometry -------------------------------------------------------------------------------


def _outline(rng: np.random.Generator, centre: tuple[float, float], radius: float) -> shapely.Polygon:
    """An irregular, star-shaped outline: a circle bent by a few low harmonics."""
    theta = np.linspace(0.0, 2 * np.pi, 240, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += rng.uniform(0.02, 0.12) / (k - 1) ** 0.5 * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r *= radius
    xy = np.round(np.column_stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)]))
    return shapely.Polygon(xy)


def _points_in(rng: np.random.Generator, polygon: shapely.Polygon, n: int) -> np.ndarray:
    """n uniform points inside a polygon (rejection sampling in its bounds)."""
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = rng.uniform((x0, y0), (x1, y1), size=(2 * n + 16, 2))
        found = np.vstack([found, cand[shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])]])
    return found[:n]


def _ward_seeds(rng: np.random.Generator, outline: shapely.Polygon, spec: _Scale) -> np.ndarray:
    """Seed points denser around a few towns, so urban wards come out small."""
    n_town = int(spec.n_wards * 0.45)
    towns = _points_in(rng, outline.buffer(-spec.radius * 0.15), spec.n_towns)
    sigma = spec.radius / np.sqrt(spec.n_towns) * 0.35
    pick = rng.integers(0, spec.n_towns, size=4 * n_town)
    around = towns[pick] + rng.normal(0.0, sigma, size=(4 * n_town, 2))
    around = around[shapely.contains_xy(outline, around[:, 0], around[:, 1])][:n_town]
    uniform = _points_in(rng, outline, spec.n_wards - len(around))
    return np.vstack([around, uniform])


def _voronoi(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=outline, ordered=True)
    return shapely.intersection(np.asarray(shapely.get_parts(cells)), outline)


def _ward_cells(rng: np.random.Generator, outline: shapely.Polygon, spec: _Scale) -> tuple[np.ndarray, list[set[int]]]:
    """Voronoi cells on a 1 m grid, relaxed twice (Lloyd) so that no cell is a sliver."""
    points = _ward_seeds(rng, outline, spec)
    for _ in range(2):
        cells = _voronoi(points, outline)
        points = shapely.get_coordinates(shapely.centroid(cells))
    cells = shapely.set_precision(_voronoi(points, outline), 1.0)
    cells = np.array([_largest_part(c) for c in cells], dtype=object)
    if not shapely.coverage_is_valid(cells):
        raise RuntimeError("synthetic ward cells do not form a valid coverage")
    return cells, _adjacency(cells)


def _largest_part(geom: shapely.Geometry) -> shapely.Polygon:
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if isinstance(p, shapely.Polygon)]
    if len(polys) != 1:
        raise RuntimeError("a synthetic ward cell is not a single polygon")
    return polys[0]


def _adjacency(cells: np.ndarray) -> list[set[int]]:
    """Neighbours sharing an edge (not just a corner)."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right])))
    neighbours: list[set[int]] = [set() for _ in cells]
    for a, b in zip(left[shared > 0], right[shared > 0]):
        neighbours[a].add(int(b))
        neighbours[b].add(int(a))
    return neighbours


def _nearest(points: np.ndarray, seeds: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Index of the nearest seed for each point (distance divided by the seed's weight)."""
    if weights is None and len(seeds) > 64:
        tree = shapely.STRtree(shapely.points(seeds))
        idx = tree.query_nearest(shapely.points(points), all_matches=False)
        out = np.empty(len(points), dtype=np.int64)
        out[idx[0]] = idx[1]
        return out
    d = np.hypot(points[:, None, 0] - seeds[None, :, 0], points[:, None, 1] - seeds[None, :, 1])
    if weights is not None:
        d = d / weights[None, :]
    return d.argmin(axis=1)


def _make_contiguous(labels: np.ndarray, adjacency: list[set[int]]) -> np.ndarray:
    """Move detached pieces of a group to the neighbouring group they touch most."""
    labels = labels.copy()
    for _ in range(20):
        moved = False
        for label in np.unique(labels):
            members = set(np.flatnonzero(labels == label).tolist())
            components = _components(members, adjacency)
            for piece in sorted(components, key=len)[:-1]:
                touching = [labels[n] for w in piece for n in adjacency[w] if n not in piece]
                if touching:
                    values, counts = np.unique(touching, return_counts=True)
                    labels[list(piece)] = values[counts.argmax()]
                    moved = True
        if not moved:
            return labels
    raise RuntimeError("could not make synthetic areas contiguous")


def _components(members: set[int], adjacency: list[set[int]]) -> list[set[int]]:
    left, found = set(members), []
    while left:
        stack = [min(left)]
        piece = set(stack)
        while stack:
            for n in adjacency[stack.pop()]:
                if n in left and n not in piece:
                    piece.add(n)
                    stack.append(n)
        left -= piece
        found.append(piece)
    return found


# --- areas and populations -------------------------------------------------------------------


def _ward_populations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Log-normal around 8,500, redrawn until inside the ward range (with a margin for later scaling)."""
    pop = rng.lognormal(np.log(8_500), 0.3, size=n)
    while (bad := (pop < WARD_POP[0] + 200) | (pop > WARD_POP[1] - 200)).any():
        pop[bad] = rng.lognormal(np.log(8_500), 0.3, size=int(bad.sum()))
    return np.round(pop).astype(np.int64)


def _assign_lads(
    rng: np.random.Generator, cells: np.ndarray, adjacency: list[set[int]], spec: _Scale
) -> tuple[np.ndarray, np.ndarray]:
    """LA of each ward (nearest weighted LA seed, made contiguous) and ward populations in range.

    A few LAs (region scale) are drawn again until all fit the population range;
    many (national scale) are merged and split until they do, so their number is
    only close to ``n_lads``.
    """
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    few = spec.n_lads <= 12
    for _ in range(200):
        seeds = centroids[_spread(rng, centroids, spec.n_lads)]
        weights = rng.uniform(0.7, 1.4, size=spec.n_lads) if few else None
        labels = _make_contiguous(_nearest(centroids, seeds, weights), adjacency)
        labels = np.unique(labels, return_inverse=True)[1]
        populations = _ward_populations(rng, len(cells))
        if not few:
            labels = _balance(rng, labels, populations, adjacency, centroids)
        if few and labels.max() + 1 != spec.n_lads:
            continue
        fitted = _fit_lad_populations(populations, labels)
        if fitted is not None:
            return labels, fitted
    raise RuntimeError("could not draw LAs within the population range")


def _balance(
    rng: np.random.Generator,
    labels: np.ndarray,
    populations: np.ndarray,
    adjacency: list[set[int]],
    centroids: np.ndarray,
) -> np.ndarray:
    """Merge LAs below the population range into a neighbour; split those above it in two."""
    for _ in range(10 * (labels.max() + 1)):
        totals = np.bincount(labels, weights=populations)
        small, big = int(totals.argmin()), int(totals.argmax())
        if totals[small] < LA_POP[0]:
            wards = np.flatnonzero(labels == small)
            around = {int(labels[n]) for w in wards for n in adjacency[w]} - {small}
            into = min(around, key=lambda la: (totals[la], la))
            labels[wards] = into
        elif totals[big] > LA_POP[1]:
            wards = np.flatnonzero(labels == big)
            halves = _lloyd(rng, centroids[wards], 2, 6)
            labels[wards[halves == 1]] = labels.max() + 1
            labels = _make_contiguous(labels, adjacency)
        else:
            break
        labels = np.unique(labels, return_inverse=True)[1]
    return labels


def _spread(rng: np.random.Generator, points: np.ndarray, k: int) -> np.ndarray:
    """k well-spread points: random start, then farthest-point sampling with jitter."""
    chosen = [int(rng.integers(len(points)))]
    dist = np.hypot(*(points - points[chosen[0]]).T)
    for _ in range(k - 1):
        score = dist * rng.uniform(0.6, 1.0, size=len(points))
        nxt = int(score.argmax())
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(*(points - points[nxt]).T))
    return np.array(chosen)


def _fit_lad_populations(populations: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """Scale the wards of an LA outside the LA range into it; None if that cannot be done."""
    populations = populations.astype(float)
    totals = np.bincount(labels, weights=populations)
    target = np.clip(totals, LA_POP[0] * 1.03, LA_POP[1] * 0.97)
    populations *= (target / totals)[labels]
    populations = np.round(populations).astype(np.int64)
    totals = np.bincount(labels, weights=populations)
    if populations.min() < WARD_POP[0] or populations.max() > WARD_POP[1]:
        return None
    if totals.min() < LA_POP[0] or totals.max() > LA_POP[1]:
        return None
    return populations


def _assign_regions(
    rng: np.random.Generator, cells: np.ndarray, lad_of_ward: np.ndarray, adjacency: list[set[int]], spec: _Scale
) -> np.ndarray:
    """Region index of each LA: k-means of LA centres, made contiguous."""
    n_regions, n_lads = len(spec.regions), int(lad_of_ward.max()) + 1
    if n_regions == 1:
        return np.zeros(n_lads, dtype=np.int64)
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    lad_xy = _centres(centroids, lad_of_ward)
    lad_adjacency: list[set[int]] = [set() for _ in range(n_lads)]
    for w, ns in enumerate(adjacency):
        for n in ns:
            if lad_of_ward[n] != lad_of_ward[w]:
                lad_adjacency[lad_of_ward[w]].add(int(lad_of_ward[n]))
    labels = _make_contiguous(_lloyd(rng, lad_xy, n_regions, 8), lad_adjacency)
    return np.unique(labels, return_inverse=True)[1]


def _place_names(rng: np.random.Generator, n: int) -> list[str]:
    combos = [p + s for p in _PREFIXES for s in _SUFFIXES]
    order = rng.permutation(len(combos))
    return [combos[i] for i in order[:n]]


def _name_areas(
    rng: np.random.Generator,
    cells: np.ndarray,
    lad_of_ward: np.ndarray,
    populations: np.ndarray,
    region_of_lad: np.ndarray,
    spec: _Scale,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Codes and names; wards numbered in LA order, then west to east."""
    n_w, n_l = len(cells), int(lad_of_ward.max()) + 1
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    order = np.lexsort((centroids[:, 0], lad_of_ward))
    places = _place_names(rng, n_l + n_w + 2)
    lad_names = np.array(places[:n_l], dtype=object)
    if n_l >= 4:
        lad_names[1] = f"{places[-1]} and {places[-2]}"
        lad_names[3] = f"North {lad_names[3]}"
    ward_names = _ward_names(rng, places[n_l:-2], n_w)
    child_base = rng.uniform(0.195, 0.24, size=n_l)
    child_share = np.clip(
        child_base[lad_of_ward] + rng.normal(0, 0.012, size=n_w), CHILD_SHARE[0] + 0.002, CHILD_SHARE[1] - 0.002
    )

    lad_codes = np.array([f"{spec.lad_prefix}{i + 1:0{9 - len(spec.lad_prefix)}d}" for i in range(n_l)])
    wards = gpd.GeoDataFrame(
        {
            "ward_code": [f"{spec.ward_prefix}{i + 1:04d}" for i in range(n_w)],
            "ward_name": [ward_names[i] for i in range(n_w)],
            "lad_code": lad_codes[lad_of_ward[order]],
            "population": populations[order],
            "population_0_17": np.round(populations[order] * child_share[order]).astype(np.int64),
            "geometry": cells[order],
        },
        geometry="geometry",
        crs=BNG,
    )
    region_codes = np.array([c for c, _ in spec.regions])
    region_names = np.array([n for _, n in spec.regions])
    lad_geoms = [shapely.coverage_union_all(wards.geometry.values[wards.lad_code.values == code]) for code in lad_codes]
    lads = gpd.GeoDataFrame(
        {
            "lad_code": lad_codes,
            "lad_name": lad_names.astype(str),
            "region_code": region_codes[region_of_lad],
            "region_name": region_names[region_of_lad],
            "population": wards.groupby("lad_code")["population"].sum().reindex(lad_codes).to_numpy(),
            "population_0_17": wards.groupby("lad_code")["population_0_17"].sum().reindex(lad_codes).to_numpy(),
            "n_wards": wards.groupby("lad_code").size().reindex(lad_codes).to_numpy(),
            "geometry": lad_geoms,
        },
        geometry="geometry",
        crs=BNG,
    )
    return wards, lads


def _ward_names(rng: np.random.Generator, places: list[str], n: int) -> list[str]:
    """Unique ward names: a place, often qualified ("Ashby North"), sometimes paired ("Elmley and Fenton")."""
    names: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(names) < n:
        place, draw = places[i % len(places)], rng.random()
        qualifier = _QUALIFIERS[rng.integers(len(_QUALIFIERS))]
        if i < len(places) and draw < 0.45:
            name = place
        elif draw < 0.88 or i >= len(places):
            name = f"{place} {qualifier}"
        else:
            name = f"{place} and {places[(i + 7) % len(places)]}"
        if name not in seen:
            seen.add(name)
            names.append(name)
        i += 1
    return names


# --- postcodes ------------------------------------------------------------------------------


def _postcode_units(rng: np.random.Generator, wards: gpd.GeoDataFrame, spec: _Scale) -> pd.DataFrame:
    """Unit points inside wards (about one per ``residents_per_unit``), grouped into districts and sectors."""
    per_unit = spec.residents_per_unit or wards.population.sum() / (spec.n_sectors * spec.units_per_sector)
    counts = np.maximum(1, np.round(wards.population.to_numpy() / per_unit)).astype(np.int64)
    xy, ward_idx = _scatter(rng, wards.geometry.values, counts)
    district = _districts(rng, xy, spec.n_districts)
    sector_digit = _sectors(rng, xy, district, spec.units_per_sector)
    sector_id = _follow_lads(rng, xy, district * 10 + sector_digit, wards.lad_code.to_numpy()[ward_idx])
    district, sector_digit = sector_id // 10, sector_id % 10
    units = pd.DataFrame(
        {
            "x": xy[:, 0],
            "y": xy[:, 1],
            "ward_code": wards.ward_code.to_numpy()[ward_idx],
            "lad_code": wards.lad_code.to_numpy()[ward_idx],
            "district_idx": district,
            "sector_digit": sector_digit,
        }
    )
    outward = _outward_codes(xy, district)
    units["postcode_sector"] = [f"{outward[d]} {s}" for d, s in zip(district, sector_digit)]
    units["postcode"] = _unit_codes(units)
    lon, lat = Transformer.from_crs(BNG, WGS84, always_xy=True).transform(units.x.to_numpy(), units.y.to_numpy())
    units["lat"], units["long"] = np.round(lat, 6), np.round(lon, 6)
    return units.sort_values("postcode", kind="stable").reset_index(drop=True)


def _scatter(
    rng: np.random.Generator, polygons: np.ndarray, counts: np.ndarray, margin: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Integer-metre points uniformly inside each polygon, at least ``margin`` from its edge."""
    shapely.prepare(polygons)
    bounds = shapely.bounds(polygons)
    need = counts.copy()
    xs, idx = [], []
    while need.sum() > 0:
        owner = np.repeat(np.arange(len(polygons)), need * 3 + 2)
        lo, hi = bounds[owner, :2], bounds[owner, 2:]
        pts = np.round(lo + rng.random((len(owner), 2)) * (hi - lo))
        inside = shapely.contains_xy(polygons[owner], pts[:, 0], pts[:, 1])
        owner, pts = owner[inside], pts[inside]
        far = shapely.distance(shapely.boundary(polygons[owner]), shapely.points(pts)) >= margin
        owner, pts = owner[far], pts[far]
        rank = _rank_within(owner)
        take = rank < need[owner]
        xs.append(pts[take])
        idx.append(owner[take])
        need -= np.bincount(owner[take], minlength=len(polygons))
    xy, owner = np.vstack(xs), np.concatenate(idx)
    order = np.argsort(owner, kind="stable")
    return xy[order], owner[order]


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values, for a sorted or unsorted array."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(groups)) - run_start
    return rank


def _centres(xy: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean point of each label 0..n-1 (every label must occur)."""
    return np.column_stack([np.bincount(labels, weights=xy[:, i]) for i in (0, 1)]) / np.bincount(labels)[:, None]


def _lloyd(rng: np.random.Generator, xy: np.ndarray, k: int, iterations: int) -> np.ndarray:
    seeds = xy[rng.choice(len(xy), size=k, replace=False)]
    for _ in range(iterations):
        label = _nearest(xy, seeds)
        n = np.bincount(label, minlength=k)
        moved = np.column_stack([np.bincount(label, weights=xy[:, i], minlength=k) for i in (0, 1)])
        seeds = np.where(n[:, None] > 0, moved / np.maximum(n, 1)[:, None], seeds)
    return np.unique(_nearest(xy, seeds), return_inverse=True)[1]


def _districts(rng: np.random.Generator, xy: np.ndarray, n: int) -> np.ndarray:
    return _lloyd(rng, xy, n, 4)


def _sectors(rng: np.random.Generator, xy: np.ndarray, district: np.ndarray, per_sector: float) -> np.ndarray:
    """Sector digit (1-9) of each unit: each district is cut into nearest-seed groups of units."""
    digit = np.zeros(len(xy), dtype=np.int64)
    order = np.argsort(district, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(district[order])) + 1, len(order)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        members = order[a:b]
        k = int(np.clip(round(len(members) / per_sector), 1, 9))
        labels = _lloyd(rng, xy[members], k, 5) if k > 1 else np.zeros(len(members), dtype=np.int64)
        centre = _centres(xy[members], labels)
        rank = np.argsort(np.argsort(centre[:, 1] * -1e6 + centre[:, 0]))
        digit[members] = rank[labels] + 1
    return digit


def _follow_lads(
    rng: np.random.Generator,
    xy: np.ndarray,
    sector: np.ndarray,
    lad: np.ndarray,
    keep_share: float = 0.3,
    keep_at_least: int = 3,
) -> np.ndarray:
    """Make most sectors stop at LA boundaries, as real ones mostly do.

    Of the sectors that straddle LAs, about ``keep_share`` (at least ``keep_at_least``)
    are left alone; in the others, the units outside the sector's main LA move to
    the nearest sector whose main LA is theirs.
    """
    ids, sector_idx = np.unique(sector, return_inverse=True)
    lads, lad_idx = np.unique(lad, return_inverse=True)
    table = np.zeros((len(ids), len(lads)), dtype=np.int64)
    np.add.at(table, (sector_idx, lad_idx), 1)
    main = table.argmax(axis=1)
    minority = table.sum(axis=1) - table.max(axis=1)
    straddling = np.flatnonzero(minority > 0)
    if len(straddling) == 0:
        return sector
    keep = straddling[rng.random(len(straddling)) < keep_share]
    if len(keep) < keep_at_least:
        keep = straddling[np.argsort(-minority[straddling], kind="stable")[:keep_at_least]]
    fix = np.setdiff1d(straddling, keep)
    centre = _centres(xy, sector_idx)
    moving = np.isin(sector_idx, fix) & (lad_idx != main[sector_idx])
    out = sector_idx.copy()
    for la in np.unique(lad_idx[moving]):
        targets = np.flatnonzero(main == la)
        units = np.flatnonzero(moving & (lad_idx == la))
        out[units] = targets[_nearest(xy[units], centre[targets])]
    return ids[out]


def _outward_codes(xy: np.ndarray, district: np.ndarray) -> list[str]:
    """Outward code per district: areas of up to 99 districts, numbered along a Morton curve."""
    n = district.max() + 1
    centre = _centres(xy, district)
    order = np.argsort(_morton(centre), kind="stable")
    codes = [""] * n
    per_area = 99 if n > 99 else n
    for rank, d in enumerate(order):
        area, number = divmod(rank, per_area)
        codes[d] = f"{FAKE_AREAS[area]}{number + 1}"
    return codes


def _morton(xy: np.ndarray) -> np.ndarray:
    span = np.ptp(xy, axis=0)
    span[span == 0] = 1
    grid = ((xy - xy.min(axis=0)) / span * 1023).astype(np.uint64)
    key = np.zeros(len(xy), dtype=np.uint64)
    for bit in range(10):
        for axis in (0, 1):
            key |= ((grid[:, axis] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + (1 - axis))
    return key


def _unit_codes(units: pd.DataFrame) -> list[str]:
    """Inward letters numbered north-west to south-east within each sector."""
    order = np.lexsort((units.x.to_numpy(), -units.y.to_numpy(), units.postcode_sector.to_numpy()))
    rank = np.empty(len(units), dtype=np.int64)
    sectors = units.postcode_sector.to_numpy()[order]
    rank[order] = _rank_within(np.unique(sectors, return_inverse=True)[1])
    letters = INWARD_LETTERS + EXTRA_LETTERS
    if rank.max() >= len(letters) ** 2:
        raise RuntimeError("a synthetic postcode sector has too many units")
    pairs = [a + b for a in INWARD_LETTERS for b in INWARD_LETTERS]
    pairs += [a + b for a in letters for b in letters if a in EXTRA_LETTERS or b in EXTRA_LETTERS]
    return [f"{sector}{pairs[r]}" for sector, r in zip(units.postcode_sector.to_numpy(), rank)]


# --- writing --------------------------------------------------------------------------------


def _write_wards(wards: gpd.GeoDataFrame, path: Path) -> None:
    """ONS ward boundaries: WD24CD, WD24NM and the geometry only (no LA column, as ONS publishes them)."""
    out = wards[["ward_code", "ward_name", "geometry"]].rename(columns={"ward_code": "WD24CD", "ward_name": "WD24NM"})
    out.insert(0, "FID", np.arange(1, len(out) + 1))
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(out, path, driver="GeoJSON", layer="WD_MAY_2024_BNG")


def _write_lads(lads: gpd.GeoDataFrame, path: Path) -> None:
    out = lads[["lad_code", "lad_name", "region_code", "region_name", "geometry"]].rename(
        columns={"lad_code": "LAD24CD", "lad_name": "LAD24NM", "region_code": "RGN24CD", "region_name": "RGN24NM"}
    )
    out.insert(0, "FID", np.arange(1, len(out) + 1))
    path.unlink(missing_ok=True)
    with _gdal_options({"OGR_CURRENT_DATE": FIXED_DATE}):
        pyogrio.write_dataframe(out, path, driver="GPKG", layer="LAD_DEC_2024_BNG")


@contextmanager
def _gdal_options(options: dict[str, str]) -> Iterator[None]:
    """GDAL config options for a block, restored afterwards."""
    saved = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(saved)


def _write_population(wards: gpd.GeoDataFrame, lads: gpd.GeoDataFrame, path: Path) -> None:
    ward_rows = pd.DataFrame(
        {
            "area_code": wards.ward_code,
            "area_name": wards.ward_name,
            "level": "ward",
            "population": wards.population,
            "population_0_17": wards.population_0_17,
        }
    )
    lad_rows = pd.DataFrame(
        {
            "area_code": lads.lad_code,
            "area_name": lads.lad_name,
            "level": "lad",
            "population": lads.population,
            "population_0_17": lads.population_0_17,
        }
    )
    table = pd.concat([lad_rows, ward_rows], ignore_index=True)
    table["source_year"] = SOURCE_YEAR
    table.to_csv(path, index=False, lineterminator="\n")


def _write_postcodes(units: pd.DataFrame, path: Path) -> None:
    """ONSPD-style lookup: pcds, lat, long, osward, oslaua."""
    out = pd.DataFrame(
        {
            "pcds": units.postcode,
            "lat": units.lat,
            "long": units.long,
            "osward": units.ward_code,
            "oslaua": units.lad_code,
        }
    )
    out.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def _write_truth(
    wards: gpd.GeoDataFrame,
    lads: gpd.GeoDataFrame,
    units: pd.DataFrame,
    truth: Path,
    *,
    seed: int,
    scale: str,
    spec: _Scale,
) -> None:
    wards[["ward_code", "ward_name", "lad_code", "population", "population_0_17"]].to_csv(
        truth / "wards.csv", index=False, lineterminator="\n"
    )
    lads.drop(columns="geometry").to_csv(truth / "lads.csv", index=False, lineterminator="\n")
    sector_wards = units.groupby(["postcode_sector", "ward_code"]).size().rename("n_postcodes").reset_index()
    sector_wards.to_csv(truth / "sector_wards.csv", index=False, lineterminator="\n")
    units[["postcode", "postcode_sector", "ward_code", "lad_code", "x", "y"]].rename(
        columns={"x": "easting", "y": "northing"}
    ).astype({"easting": "int64", "northing": "int64"}).to_csv(
        truth / "postcode_units.csv", index=False, lineterminator="\n"
    )
    about = {
        "seed": seed,
        "scale": scale,
        "crs": BNG,
        "centre_bng": list(spec.centre),
        "radius_m": spec.radius,
        "regions": [list(r) for r in spec.regions],
        "source_year": SOURCE_YEAR,
        "n_wards": len(wards),
        "n_lads": len(lads),
        "n_units": len(units),
        "n_sectors": int(units.postcode_sector.nunique()),
    }
    (truth / "region.json").write_text(json.dumps(about, indent=1) + "\n")


__all__ = ["BNG", "REGION_CODE", "REGION_NAME", "RegionFiles", "generate_region"]
