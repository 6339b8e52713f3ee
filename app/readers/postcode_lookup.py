"""Read postcode lookups: the reference Code-Point extracts, ONSPD/NSPL, or a plain list.

Whatever the layout, the result has one row per unit postcode with its
sector, WGS84 coordinates and, when the file has them, the ward and LA codes
with the ward vintage. Lookups without ward codes are still useful: their
points are placed in wards by :mod:`app.geography.placement`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from app.geography.postcodes import normalise_postcodes, sectors_of_units
from app.problems import Problem, ProblemLog
from app.readers.result import ReadResult

COLUMNS = {
    "postcode": "string",
    "postcode_sector": "string",
    "lat": "float64",
    "lon": "float64",
    "ward_code": "string",
    "lad_code": "string",
    "ward_vintage": "string",
}

_POSTCODE = ("pcds", "pcd", "pcd2", "pcd8", "pcd7", "postcode", "postcodeunit", "unitpostcode", "pcunit")
_LAT = ("lat", "latitude")
_LON = ("lon", "long", "longitude", "lng")
#: Coded-vintage ward and LA columns: (regex on the key, vintage prefix); plain ones after.
_WARD_CODED = (r"ward(\d{2})code", r"wd(\d{2})cd")
_WARD_PLAIN = ("osward", "wardcode", "ward")
_LAD_CODED = (r"lad(\d{2})code", r"lad(\d{2})cd")
_LAD_PLAIN = ("oslaua", "ladcode", "laua", "lacode")
_GSS = r"^[EWSN][0-9]{8}$"
#: ONSPD writes these for postcodes without a grid reference.
_NO_COORDINATES_LAT = 99.999999
#: Generous bounds of the UK, Channel Islands and Isle of Man in degrees.
_LAT_RANGE = (49.0, 61.5)
_LON_RANGE = (-9.0, 2.5)


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _pick(columns: list[str], plain: tuple[str, ...]) -> str | None:
    keys = {_key(c): c for c in columns}
    return next((keys[k] for k in plain if k in keys), None)


def _pick_coded(columns: list[str], patterns: tuple[str, ...], prefix: str) -> tuple[str | None, str | None]:
    """The coded column of the latest vintage (``ward24_code`` -> ``WD24``), if any."""
    best = None
    for column in columns:
        for pattern in patterns:
            match = re.fullmatch(pattern, _key(column))
            if match and (best is None or int(match.group(1)) > best[0]):
                best = (int(match.group(1)), column, f"{prefix}{match.group(1)}")
    return (best[1], best[2]) if best else (None, None)


def detect_lookup_columns(columns: list[str]) -> dict:
    ward, vintage = _pick_coded(columns, _WARD_CODED, "WD")
    lad, _ = _pick_coded(columns, _LAD_CODED, "LAD")
    return {
        "postcode": _pick(columns, _POSTCODE),
        "lat": _pick(columns, _LAT),
        "lon": _pick(columns, _LON),
        "ward_code": ward or _pick(columns, _WARD_PLAIN),
        "ward_vintage": vintage,
        "lad_code": lad or _pick(columns, _LAD_PLAIN),
    }


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    for encoding in ("utf-8", "cp1252"):
        try:
            return pd.read_csv(path, encoding=encoding, **kwargs)
        except UnicodeDecodeError:
            continue
        except Exception as exc:  # pyarrow reports bad bytes as ArrowInvalid
            if "utf" not in str(exc).lower():
                raise
    raise UnicodeDecodeError("utf-8", b"", 0, 1, "neither UTF-8 nor Windows-1252")


def _codes(values: pd.Series, what: str, column: str, log: ProblemLog) -> pd.Series:
    """GSS codes upper-cased; blanks and ONS pseudo-codes (``L99999999``) become <NA>, others warned once."""
    codes = values.astype("string").str.strip().str.upper()
    codes = codes.mask((codes.eq("") | codes.str.fullmatch(r"[A-Z]99999999")).fillna(False))
    bad = codes.notna() & ~codes.str.match(_GSS).fillna(False)
    if bad.any():
        rows = (codes.index[bad] + 2)[:5]
        log.warn(
            f"{int(bad.sum())} rows have a {what} code that is not an ONS code (e.g. '{codes[bad].iloc[0]}'; "
            f"rows {', '.join(map(str, rows))}{'…' if bad.sum() > 5 else ''}); they are treated as unknown",
            column=column,
            code="bad_code",
        )
        codes = codes.mask(bad)
    return codes


def _coordinates(raw: pd.DataFrame, cols: dict, log: ProblemLog) -> tuple[pd.Series, pd.Series]:
    if not (cols["lat"] and cols["lon"]):
        nan = pd.Series(np.nan, index=raw.index)
        return nan, nan.copy()
    lat = pd.to_numeric(raw[cols["lat"]].astype("string").str.strip(), errors="coerce").astype("float64")
    lon = pd.to_numeric(raw[cols["lon"]].astype("string").str.strip(), errors="coerce").astype("float64")
    sentinel = np.isclose(lat, _NO_COORDINATES_LAT)
    outside = ~sentinel & lat.notna() & lon.notna() & ~(lat.between(*_LAT_RANGE) & lon.between(*_LON_RANGE))
    if outside.any():
        rows = (raw.index[outside] + 2)[:5]
        log.warn(
            f"{int(outside.sum())} rows have coordinates outside the UK (rows {', '.join(map(str, rows))}"
            f"{'…' if outside.sum() > 5 else ''}); they are treated as missing",
            column=cols["lat"],
            code="bad_coordinates",
        )
    missing = sentinel | outside | lat.isna() | lon.isna()
    return lat.mask(missing), lon.mask(missing)


def read_postcode_lookup(path: str | Path) -> ReadResult:
    """One row per unit postcode: sector, lat/lon (NaN when missing), ward and LA codes when given."""
    path = Path(path)
    log = ProblemLog.for_path(path)
    if not path.is_file():
        log.refuse("the file was not found", code="not_found")
        log.raise_if_refused()
    try:
        header = list(_read_csv(path, nrows=0).columns)
    except Exception:
        log.refuse("the file could not be read as a CSV table (it is empty, damaged or not text)", code="unreadable")
        log.raise_if_refused()
    cols = detect_lookup_columns(header)
    if cols["postcode"] is None:
        log.refuse(
            "no postcode column found (expected e.g. 'postcode', 'pcds' or 'pcd'); "
            f"the file has the columns: {', '.join(map(str, header)) or '(none)'}",
            code="missing_column",
        )
    elif not (cols["ward_code"] or (cols["lat"] and cols["lon"])):
        log.refuse(
            "the lookup has neither ward codes nor coordinates (latitude and longitude), "
            "so its postcodes cannot be placed in wards",
            code="missing_column",
        )
    log.raise_if_refused()

    used = [c for c in dict.fromkeys(cols[k] for k in ("postcode", "lat", "lon", "ward_code", "lad_code")) if c]
    try:
        raw = _read_csv(path, engine="pyarrow", usecols=used, dtype=dict.fromkeys(used, "string"))
    except Exception:
        log.refuse(
            "the file could not be read as a CSV table: some rows are damaged or have the wrong number of columns"
        )
        log.raise_if_refused()
    table, problems = _table(raw, cols, log)
    meta = {
        "columns": {k: v for k, v in cols.items() if v},
        "rows": len(table),
        "ward_vintage": cols["ward_vintage"],
        "has_ward_codes": bool(table["ward_code"].notna().any()),
        "without_coordinates": int(table["lat"].isna().sum()),
    }
    return ReadResult(table, problems, meta)


def _table(raw: pd.DataFrame, cols: dict, log: ProblemLog) -> tuple[pd.DataFrame, list[Problem]]:
    units, reasons = normalise_postcodes(raw[cols["postcode"]])
    bad = units.isna()
    for row, reason in zip(raw.index[bad] + 2, reasons[bad]):
        log.warn(f"{reason}; row skipped", row=int(row), column=cols["postcode"], code="bad_postcode")
    lat, lon = _coordinates(raw, cols, log)
    na = pd.Series(pd.NA, index=raw.index, dtype="string")
    ward = _codes(raw[cols["ward_code"]], "ward", cols["ward_code"], log) if cols["ward_code"] else na
    lad = _codes(raw[cols["lad_code"]], "local authority", cols["lad_code"], log) if cols["lad_code"] else na
    vintage = na.mask(ward.notna(), cols["ward_vintage"]) if cols["ward_vintage"] else na
    table = pd.DataFrame(
        {
            "postcode": units,
            "postcode_sector": sectors_of_units(units),
            "lat": lat,
            "lon": lon,
            "ward_code": ward,
            "lad_code": lad,
            "ward_vintage": vintage,
        }
    )[units.notna()]
    duplicated = table["postcode"].duplicated()
    if duplicated.any():
        rows = (table.index[duplicated] + 2)[:5]
        log.warn(
            f"{int(duplicated.sum())} postcodes appear more than once (rows {', '.join(map(str, rows))}"
            f"{'…' if duplicated.sum() > 5 else ''}); the first row of each is used",
            column=cols["postcode"],
            code="duplicate",
        )
        table = table[~duplicated]
    if table.empty:
        log.refuse("the file holds no readable postcodes", column=cols["postcode"], code="empty")
        log.raise_if_refused()
    return table.astype(COLUMNS).reset_index(drop=True), log.warnings


def read_postcode_lookups(paths: list[str | Path]) -> ReadResult:
    """Several lookups as one; a postcode in more than one file keeps the first file's row."""
    results = [read_postcode_lookup(p) for p in paths]
    table = pd.concat([r.table for r in results], ignore_index=True)
    repeated = table["postcode"].duplicated()
    table = table[~repeated].reset_index(drop=True)
    warnings = [w for r in results for w in r.warnings]
    meta = {
        "files": {Path(p).name: r.meta for p, r in zip(paths, results)},
        "rows": len(table),
        "repeated_across_files": int(repeated.sum()),
    }
    return ReadResult(table.astype(COLUMNS), warnings, meta)
