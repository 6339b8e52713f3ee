"""The Home Office published table "Asylum seekers in receipt of support by local authority" (Asy_D11).

Public data: every UK LA, every quarter since 2014. It is context for the
region and a check on the monthly restricted totals. The CSV as published
(and as in ``shared/reference/asylum_support_la.csv``) and the workbook
edition (cover sheets, notes and banner lines above the table) are both read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from app.cluster.records import PUBLIC_STATS_COLUMNS, conform
from app.readers import tables
from app.readers.result import ReadResult
from app.readers.vocabulary import accommodation_type

SYNONYMS: dict[str, list[str]] = {
    "date": ["Date", "Quarter end", "As at", "Date (as at end of quarter)"],
    "year": ["Year"],
    "quarter": ["Quarter"],
    "support_type": ["Support Type", "Support type", "Type of support"],
    "region": ["UK Region", "Region", "Region name"],
    "local_authority": ["Local Authority", "Local authority name", "LA", "Local authority"],
    "lad_code": ["LAD Code", "LA code", "Local authority code", "LAD code", "LTLA code"],
    "accommodation_type": ["Accommodation Type", "Accommodation type"],
    "people": ["People", "Number of people", "Asylum seekers", "Count"],
}
REQUIRED = ["date", "local_authority", "people"]
GSS_LA = re.compile(r"^[EWSN]\d{8}$")
#: Rows the table adds for people in no LA: "N/A - Subsistence Only (Dec 2023 - Sep 2024)", "Unknown".
PLACEHOLDER = re.compile(r"^(n/?a\b|unknown|not known|not stated|other\b|unallocated|no fixed)", re.I)


def read_public_stats(path: str | Path, *, sheet: str | None = None) -> ReadResult:
    """The published table as canonical rows (``PUBLIC_STATS_COLUMNS``); refuses the file if it cannot be read whole."""
    sheets = tables.read_sheets(path, sheet)
    chosen, header = tables.choose_sheet(sheets, SYNONYMS, REQUIRED)
    table, _ = tables.cut_footer(chosen.table(header))
    columns = tables.map_columns(table.header, SYNONYMS)
    log = table.log()
    cells = table.cells

    def column(name: str) -> pd.Series:
        if name not in columns.columns:
            return pd.Series(pd.NA, index=cells.index, dtype="string")
        return tables.clean_text(cells[columns.columns[name]])

    written = column("date")
    dates = pd.to_datetime(written, errors="coerce", format="ISO8601")
    other = dates.isna() & written.notna()
    if other.any():
        dates[other] = pd.to_datetime(written[other], errors="coerce", format="%d/%m/%Y")
    bad_dates = dates.isna()
    tables.refuse_rows(
        log,
        ("'" + column("date").fillna("") + "' is not a date").where(bad_dates),
        table.column_name(columns.columns["date"]),
        code="bad_date",
    )
    counts = tables.parse_counts(cells[columns.columns["people"]], suppressed_value=0.0)
    reasons = counts.problem.where(~counts.blank, "the number of people is empty")
    # The published table does not suppress; a marker here means the file is not the table we expect.
    reasons = reasons.where(~counts.suppressed, "a suppressed count; the published table gives every figure")
    tables.refuse_rows(log, reasons, table.column_name(columns.columns["people"]), code="bad_count")
    log.raise_if_refused()

    published = column("accommodation_type")
    canonical = published.map(lambda v: accommodation_type(v) if pd.notna(v) else None)
    frame = pd.DataFrame(
        {
            "date": dates.dt.strftime("%Y-%m-%d"),
            "year": column("year").pipe(pd.to_numeric, errors="coerce").fillna(dates.dt.year).astype("int64"),
            "quarter": column("quarter").pipe(pd.to_numeric, errors="coerce").fillna(dates.dt.quarter).astype("int64"),
            "support_type": column("support_type"),
            "region": column("region"),
            "local_authority": column("local_authority"),
            "lad_code": column("lad_code"),
            "accommodation_type": canonical.fillna(published.str.lower()),
            "accommodation_type_as_published": published,
            "people": counts.value.astype("int64"),
        }
    )
    placeholder = frame["local_authority"].fillna("").str.match(PLACEHOLDER) | ~frame["lad_code"].fillna(
        ""
    ).str.upper().str.match(GSS_LA)
    frame["lad_code"] = frame["lad_code"].where(~placeholder)
    if placeholder.any():
        names = frame.loc[placeholder, "local_authority"].fillna("(blank)").unique()
        log.warn(
            f"{int(placeholder.sum())} rows ({tables.row_ranges(table.cells.index[placeholder.to_numpy()])}) are for "
            f"no local authority ({', '.join(repr(n) for n in names[:5])}): "
            f"{int(frame.loc[placeholder, 'people'].sum()):,} people over all quarters, kept in the table but "
            "counted in no LA",
            column=table.column_name(columns.columns["local_authority"]),
            code="placeholder",
        )
    meta = {
        "sheet": chosen.name,
        "header_row": table.header_row,
        "rows": len(frame),
        "quarters": int(frame["date"].nunique()),
        "latest": frame["date"].max() if len(frame) else None,
    }
    return ReadResult(conform(frame, PUBLIC_STATS_COLUMNS), log.warnings, meta)
