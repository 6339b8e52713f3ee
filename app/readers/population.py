"""Read ward and local-authority populations: the reference table or a plain ONS download.

The population is the denominator of every ratio, so a missing figure stays
missing (NaN), never 0, and the year it refers to is always known: from a
column, the file name, or the caller.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from app.problems import InputRefused, ProblemLog
from app.readers.archive import check_workbook_archive
from app.readers.result import ReadResult
from app.readers.sandbox import read_frames

COLUMNS = {
    "area_code": "string",
    "level": "string",
    "population": "float64",
    "population_0_17": "float64",
    "source_year": "int64",
    "source": "string",
}
WARD_PREFIXES = ("E05", "W05", "S13", "N08")
LAD_PREFIXES = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")

_CODE_PLAIN = ("areacode", "code", "geographycode", "areacodes", "mnemonic", "wardcode", "ladcode", "lacode")
_CODE_CODED = (r"(wd|ward)(20)?\d{2}(cd|code)", r"(lad|la)(20)?\d{2}(cd|code)")
_TOTAL = (
    "population",
    "allusualresidents",
    "total",
    "allages",
    "allpersons",
    "usualresidents",
    "totalpopulation",
    "persons",
    "totalallusualresidents",
    "allresidents",
    "count",
    "observation",
)
_CHILD = re.compile(r"\b0 (to )?17\b|\bunder 18\b|\b17 (years )?and under\b")
_YEAR_COLUMNS = ("sourceyear", "year")
_LEVEL_WORDS = {
    "ward": "ward",
    "wards": "ward",
    "electoral ward": "ward",
    "lad": "lad",
    "la": "lad",
    "local authority": "lad",
    "local authority district": "lad",
    "ltla": "lad",
    "lad24": "lad",
}
_HEADER_SCAN = 30


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find_code(columns: list[str]) -> str | None:
    keys = {_key(c): c for c in columns}
    for plain in _CODE_PLAIN[:3]:
        if plain in keys:
            return keys[plain]
    for pattern in _CODE_CODED:
        found = [c for k, c in keys.items() if re.fullmatch(pattern, k)]
        if found:
            return sorted(found, key=_key)[-1]
    return next((keys[k] for k in _CODE_PLAIN[3:] if k in keys), None)


def _find_total(columns: list[str]) -> str | None:
    keys = {_key(c): c for c in columns}
    for plain in _TOTAL:
        if plain in keys:
            return keys[plain]
    return next((c for k, c in keys.items() if k.startswith(("allusualresidents", "allages", "totalpop"))), None)


def _find_child(columns: list[str]) -> str | None:
    return next((c for c in columns if _CHILD.search(" ".join(re.split(r"[^a-z0-9]+", str(c).lower())))), None)


def _read_grid(path: Path, log: ProblemLog) -> list[tuple[str | None, pd.DataFrame]]:
    """Every sheet as a grid of text, header not yet known."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".ods"):
        check_workbook_archive(path)
    try:
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            sheets = read_frames(path)  # in a separate process with memory and time limits
            return list(sheets.items())
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                with open(path, newline="", encoding=encoding) as fh:
                    rows = list(csv.reader(fh))
            except UnicodeDecodeError:
                continue
            if rows:
                return [(None, pd.DataFrame(rows, dtype="string"))]
            break
    except InputRefused as refused:
        if any(p.code == "too_large" for p in refused.problems):  # too big to read safely: say so
            raise
    except Exception:
        pass
    log.refuse(
        "the file could not be read as a CSV or Excel table (it is empty, damaged or of another kind)",
        code="unreadable",
    )
    log.raise_if_refused()
    return []


def _locate(grids: list[tuple[str | None, pd.DataFrame]]) -> tuple[str | None, pd.DataFrame, int] | None:
    """The first sheet and row holding a code column header and a total column header."""
    for sheet, grid in grids:
        for row in range(min(_HEADER_SCAN, len(grid))):
            header = [str(v).strip() for v in grid.iloc[row].fillna("")]
            if _find_code(header) and _find_total(header):
                return sheet, grid, row
    return None


def _year_from_name(name: str, log: ProblemLog) -> int | None:
    years = sorted(set(re.findall(r"(?<![0-9])(19[0-9]{2}|20[0-9]{2})(?![0-9])", name)))
    if len(years) == 1:
        return int(years[0])
    if len(years) > 1:
        log.refuse(
            f"the file name holds several years ({', '.join(years)}): say which year the population is for",
            code="year_unknown",
        )
    return None


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from cells such as ``12,345``; returns (values, unreadable non-empty cells)."""
    text = values.astype("string").str.strip().str.replace(r"[,\s]", "", regex=True)
    text = text.mask(text.eq(""))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    return numbers, text.notna() & numbers.isna()


def read_population(path: str | Path, year: int | None = None) -> ReadResult:
    """Residents (total and 0-17) per ward or LA, with the year and source of the figures."""
    path = Path(path)
    log = ProblemLog.for_path(path)
    if not path.is_file():
        log.refuse("the file was not found", code="not_found")
        log.raise_if_refused()
    located = _locate(_read_grid(path, log))
    if located is None:
        log.refuse(
            "no table with an area code column (e.g. 'WD24CD', 'LAD24CD', 'Code', 'area_code') and a population "
            "column (e.g. 'population', 'All usual residents', 'Total', 'All ages') was found",
            code="missing_column",
        )
        log.raise_if_refused()
    sheet, grid, header_row = located
    log.sheet = sheet
    header = [str(v).strip() for v in grid.iloc[header_row].fillna("")]
    # A repeated column name is read from its first column, as the other readers do.
    body = grid.iloc[header_row + 1 :].set_axis(header, axis=1)
    body = body.loc[:, ~body.columns.duplicated()]
    body.index = np.arange(header_row + 2, header_row + 2 + len(body))  # rows as the officer sees them
    table = _table(body, header, path, year, log)
    log.raise_if_refused()
    meta = {
        "sheet": sheet,
        "header_row": header_row + 1,
        "rows": len(table),
        "source_years": sorted(int(y) for y in table["source_year"].unique()),
        "levels": table["level"].value_counts().to_dict(),
        "missing_population": int(table["population"].isna().sum()),
    }
    return ReadResult(table, log.warnings, meta)


def _table(body: pd.DataFrame, header: list[str], path: Path, year: int | None, log: ProblemLog) -> pd.DataFrame:
    code_col, total_col, child_col = _find_code(header), _find_total(header), _find_child(header)
    codes = body[code_col].astype("string").str.strip().str.upper()
    codes = codes.mask(codes.eq(""))
    body, codes = body[codes.notna()], codes[codes.notna()]
    levels = _levels(body, codes, header, code_col, log)
    body, codes, levels = body[levels.notna()], codes[levels.notna()], levels[levels.notna()]

    labels = _labels(body, header, codes)
    population, bad_total = _numbers(body[total_col])
    for row in body.index[bad_total]:
        log.warn(
            f"'{body.at[row, total_col]}' for {labels[row]} is not a number; population treated as unknown",
            row=int(row),
            column=total_col,
            code="bad_number",
        )
    for row in body.index[population.isna() & ~bad_total]:
        log.warn(
            f"no population for {labels[row]}; treated as unknown (not zero)",
            row=int(row),
            column=total_col,
            code="missing_population",
        )
    negative = population < 0
    for row in body.index[negative]:
        log.warn(
            f"negative population for {labels[row]}; treated as unknown",
            row=int(row),
            column=total_col,
            code="bad_number",
        )
    population = population.mask(negative)
    if child_col:
        children, bad_child = _numbers(body[child_col])
        children = children.mask(bad_child | (children < 0))
    else:
        children = pd.Series(np.nan, index=body.index)

    table = pd.DataFrame(
        {
            "area_code": codes,
            "level": levels,
            "population": population,
            "population_0_17": children,
            "source_year": _years(body, header, path, year, log),
            "source": _sources(body, header, path, total_col),
        }
    )
    if log.refusals:
        return pd.DataFrame(columns=list(COLUMNS))
    if table.empty:
        log.refuse("the file holds no ward or local authority rows", column=code_col, code="empty")
        return table
    return _deduplicate(table, code_col, log).astype(COLUMNS).reset_index(drop=True)


def _labels(body: pd.DataFrame, header: list[str], codes: pd.Series) -> pd.Series:
    """``E05015332 (Waterfront North)`` when the file names its areas, else the code."""
    name_col = next(
        (
            c
            for c in header
            if _key(c) in ("areaname", "name", "geographyname", "geography")
            or re.fullmatch(r"(wd|lad)\d{2}nm", _key(c))
        ),
        None,
    )
    if name_col is None:
        return codes
    names = body[name_col].astype("string").str.strip()
    return (codes + " (" + names + ")").fillna(codes)


def _levels(body: pd.DataFrame, codes: pd.Series, header: list[str], code_col: str, log: ProblemLog) -> pd.Series:
    """``ward``/``lad`` from a level column, else from the GSS prefix; other rows are skipped with a warning."""
    by_prefix = pd.Series(pd.NA, index=codes.index, dtype="string")
    by_prefix[codes.str.startswith(WARD_PREFIXES)] = "ward"
    by_prefix[codes.str.startswith(LAD_PREFIXES)] = "lad"
    level_col = next((c for c in header if _key(c) in ("level", "geographylevel", "geographytype")), None)
    levels = by_prefix
    if level_col:
        given = body[level_col].astype("string").str.strip().str.lower().map(_LEVEL_WORDS).astype("string")
        levels = given.fillna(by_prefix)
    for row in codes.index[levels.isna()]:
        log.warn(
            f"'{codes[row]}' is neither a ward nor a local authority code; row skipped",
            row=int(row),
            column=code_col,
            code="skipped",
        )
    return levels


def _years(body: pd.DataFrame, header: list[str], path: Path, year: int | None, log: ProblemLog) -> pd.Series:
    if year is not None:
        return pd.Series(int(year), index=body.index)
    year_col = next((c for c in header if _key(c) in _YEAR_COLUMNS), None)
    if year_col:
        years, _ = _numbers(body[year_col])
        unknown = years.isna() | ~years.between(1900, 2100)
        for row in body.index[unknown][:20]:
            log.refuse(f"'{body.at[row, year_col]}' is not a year", row=int(row), column=year_col, code="year_unknown")
        return years.fillna(0).astype("int64")
    from_name = _year_from_name(path.name, log)
    if from_name is None and not log.refusals:
        log.refuse(
            "the file does not say which year its population figures are for: add a 'year' column, "
            "put the year in the file name (e.g. population_2022.csv) or give the year when loading",
            code="year_unknown",
        )
    return pd.Series(from_name or 0, index=body.index)


def _sources(body: pd.DataFrame, header: list[str], path: Path, total_col: str) -> pd.Series:
    method_col = next((c for c in header if _key(c) == "method"), None)
    if method_col:
        method = body[method_col].astype("string").str.strip().fillna("")
        return (path.name + ": " + method).where(method.ne(""), path.name).astype("string")
    return pd.Series(f"{path.name}: column '{total_col}'", index=body.index, dtype="string")


def _deduplicate(table: pd.DataFrame, code_col: str, log: ProblemLog) -> pd.DataFrame:
    """Identical repeats are dropped; the same area with different figures refuses the file."""
    key = ["area_code", "source_year"]
    dup = table.duplicated(key, keep=False)
    if not dup.any():
        return table
    figures = table[dup].groupby(key)[["population", "population_0_17"]].nunique(dropna=False)
    clashing = figures[(figures > 1).any(axis=1)].reset_index()
    for code in clashing["area_code"][:20]:
        rows = table.index[dup & table["area_code"].eq(code)]
        log.refuse(
            f"{code} appears on rows {', '.join(map(str, rows))} with different populations",
            column=code_col,
            code="duplicate",
        )
    return table.drop_duplicates(key)
