"""Read ONS ward and local-authority boundary files in any of the formats ONS publishes.

GeoJSON, GeoPackage, Shapefile (loose or zipped) and GeoParquet are opened
here; everything about columns, coordinates and geometry is decided by
:func:`app.geography.boundaries.standardise_boundaries`. A file that cannot
be opened is refused with a sentence, never with the GDAL error text.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely.errors

from app.geography.boundaries import detect_columns, standardise_boundaries
from app.problems import ProblemLog

VECTOR_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".shp": "Shapefile"}
PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
POLYGON_TYPES = {"Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z", "3D Polygon", "3D MultiPolygon"}
ACCEPTED = "GeoJSON, GeoPackage (.gpkg), Shapefile (.shp, or a .zip holding one) or GeoParquet (.parquet)"


def read_boundaries(path: str | Path, level: str) -> gpd.GeoDataFrame:
    """Boundaries of one level (``ward`` or ``lad``) in the standard columns, EPSG:4326."""
    path = Path(path)
    log = ProblemLog.for_path(path)
    if not path.is_file():
        log.refuse("the file was not found", code="not_found")
        log.raise_if_refused()
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        gdf = _read_parquet(path, log)
    elif suffix == ".zip":
        gdf = _read_zip(path, level, log)
    elif suffix in VECTOR_SUFFIXES:
        gdf = _read_vector(path, suffix, level, log)
    else:
        log.refuse(f"cannot read '{path.suffix or 'files without an extension'}' files as boundaries; give {ACCEPTED}")
    log.raise_if_refused()
    return standardise_boundaries(gdf, level, source=path.name)


def _damaged(log: ProblemLog, kind: str) -> None:
    log.refuse(
        f"the file could not be opened as {kind}: it is damaged, incomplete or not a {kind} file", code="unreadable"
    )


def _read_parquet(path: Path, log: ProblemLog) -> gpd.GeoDataFrame | None:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" in str(exc).lower():
            log.refuse("this Parquet file holds no shapes (it has no GeoParquet geometry metadata)", code="unreadable")
        else:
            _damaged(log, "GeoParquet")
    except Exception:  # pyarrow raises many types for damaged files
        _damaged(log, "GeoParquet")
    return None


def _read_vector(path: Path, suffix: str, level: str, log: ProblemLog) -> gpd.GeoDataFrame | None:
    kind = VECTOR_SUFFIXES[suffix]
    if suffix == ".shp":
        missing = [ext for ext in (".shx", ".dbf") if not _sibling(path, ext)]
        if missing:
            log.refuse(
                f"the shapefile is incomplete: {' and '.join(path.stem + m for m in missing)} must sit beside it "
                "(or send all its parts in one .zip)",
                code="unreadable",
            )
            return None
    return _open(str(path), kind, level, log)


def _sibling(path: Path, ext: str) -> bool:
    return any(p.suffix.lower() == ext and p.stem == path.stem for p in path.parent.iterdir())


def _read_zip(path: Path, level: str, log: ProblemLog) -> gpd.GeoDataFrame | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        log.refuse("the file is not a readable .zip archive (it is damaged or not a zip file)", code="unreadable")
        return None
    if not members:
        log.refuse("the .zip holds no shapefile (no .shp file inside it)", code="unreadable")
        return None
    for member in sorted(members):
        gdf = _open(f"/vsizip/{path}/{member}", "Shapefile", level, ProblemLog(log.file))
        if gdf is not None and detect_columns(list(gdf.columns), level)["code"]:
            return gdf
    return _open(f"/vsizip/{path}/{sorted(members)[0]}", "Shapefile", level, log)


def _polygon_layer(source: str, level: str) -> str | None:
    """First polygon layer, preferring one with a code column for the level."""
    layers = pyogrio.list_layers(source)
    polygons = [str(name) for name, kind in layers if kind in POLYGON_TYPES] or [str(layers[0][0])]
    for name in polygons:
        fields = pyogrio.read_info(source, layer=name)["fields"]
        if detect_columns(list(fields), level)["code"]:
            return name
    return polygons[0]


def _open(source: str, kind: str, level: str, log: ProblemLog) -> gpd.GeoDataFrame | None:
    try:
        layer = _polygon_layer(source, level) if kind == "GeoPackage" else None
        return gpd.read_file(source, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError):
        _damaged(log, kind)
    except (pyogrio.errors.GeometryError, pyogrio.errors.CRSError):
        log.refuse(
            f"the shapes in this {kind} file cannot be read (damaged geometry or coordinate system)", code="unreadable"
        )
    except (OSError, RuntimeError, ValueError, IndexError, shapely.errors.ShapelyError):
        _damaged(log, kind)
    return None
