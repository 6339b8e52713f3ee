"""Place postcode points in wards when a lookup gives coordinates but no (usable) ward code.

Points are tested against the ward polygons in British National Grid, so the
fallback distance is in metres. Generalised (BSC) coastlines leave some
seaside postcodes just outside every ward; those take the nearest ward when
it is close enough, and are reported as such.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

POINT_IN_POLYGON = "point_in_polygon"
NEAREST_POLYGON = "nearest_polygon"
UNPLACED = "unplaced"

BNG = "EPSG:27700"


def _ward_codes(wards: gpd.GeoDataFrame) -> np.ndarray:
    column = "area_code" if "area_code" in wards else "ward_code"
    return wards[column].astype("string").to_numpy(dtype=object)


def place_points(points: pd.DataFrame, wards: gpd.GeoDataFrame, max_distance_m: float = 2000) -> pd.DataFrame:
    """Ward of each point (``lat``/``lon`` in WGS84, NaN allowed), and how it was found.

    Returns a frame with the index of ``points`` and columns ``ward_code`` and
    ``placed_by`` (``point_in_polygon``, ``nearest_polygon`` or ``unplaced``).
    A point on the shared edge of two wards goes to the first ward in
    ``wards`` order, so the result does not depend on chance.
    """
    lat = pd.to_numeric(points["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(points["lon"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    found = np.full(len(points), -1)
    how = np.full(len(points), UNPLACED, dtype=object)

    if usable.any() and len(wards):
        xy = gpd.points_from_xy(lon[usable], lat[usable], crs="EPSG:4326").to_crs(BNG)
        pts = np.asarray(xy, dtype=object)
        tree = shapely.STRtree(np.asarray(wards.to_crs(BNG).geometry.values, dtype=object))
        placed = np.full(len(pts), -1)
        point_idx, ward_idx = tree.query(pts, predicate="intersects")
        order = np.lexsort((ward_idx, point_idx))
        first_points, first = np.unique(point_idx[order], return_index=True)
        placed[first_points] = ward_idx[order][first]
        inside = placed >= 0
        outside = np.flatnonzero(~inside)
        near = np.zeros(len(pts), dtype=bool)
        if len(outside) and max_distance_m > 0:
            near_point, near_ward = tree.query_nearest(pts[outside], max_distance=max_distance_m, all_matches=False)
            placed[outside[near_point]] = near_ward
            near[outside[near_point]] = True
        usable_idx = np.flatnonzero(usable)
        found[usable_idx] = placed
        how[usable_idx[inside]] = POINT_IN_POLYGON
        how[usable_idx[near]] = NEAREST_POLYGON

    codes = np.full(len(points), None, dtype=object)
    codes[found >= 0] = _ward_codes(wards)[found[found >= 0]]
    return pd.DataFrame(
        {"ward_code": pd.array(codes, dtype="string"), "placed_by": pd.array(how, dtype="string")},
        index=points.index,
    )
