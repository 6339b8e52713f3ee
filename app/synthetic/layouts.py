"""How each synthetic file is laid out: the Home Office monthly variants and the three providers' lists.

Why: the readers must meet the files officers really receive, so every
variant of ``inputs.md`` is written here on purpose (banners, titles, Total
rows and notes, synonyms, messy sectors, Windows-1252, a "Notes" sheet, a
wide layout, suppressed counts) and each provider's workbook imitates the
layout described in ``app/readers/properties.py`` (merged header cells,
addresses split or joined, "4 beds", financial-year quarters). Nothing here
decides *what* the data are; :mod:`app.synthetic.activity` does.

Workbooks are written with openpyxl and then re-zipped with fixed
timestamps, so that the same data always give the same bytes.
"""

from __future__ import annotations

import calendar
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.config import CONTINGENCY, DISPERSAL, INITIAL, SUBSISTENCE

_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_FIXED_STAMP = "2024-01-01T00:00:00Z"
_BOLD = Font(bold=True)

#: Accommodation types as the published Home Office tables spell them.
HO_ACCOMMODATION = {
    DISPERSAL: "Dispersal Accommodation",
    INITIAL: "Initial Accommodation",
    CONTINGENCY: "Contingency Accommodation - Hotel",
    SUBSISTENCE: "Subsistence Only",
}
#: The same in the shorter words of hand-made returns.
SHORT_ACCOMMODATION = {
    DISPERSAL: "Dispersed",
    INITIAL: "Initial",
    CONTINGENCY: "Hotel",
    SUBSISTENCE: "Subsistence only",
}
CANONICAL_HEADER = [
    "month",
    "local_authority",
    "postcode_sector",
    "support_type",
    "accommodation_type",
    "nationality",
    "age_band",
    "gender",
    "household_type",
    "people",
]
GROUP_FIELDS = [
    "postcode_sector",
    "support_type",
    "accommodation_type",
    "nationality",
    "age_band",
    "gender",
    "household_type",
]
#: Fields kept by the suppressed (coarser) returns.
SUPPRESSED_FIELDS = ["postcode_sector", "support_type", "accommodation_type", "household_type"]


# --- dates, months and quarters as written ----------------------------------------------------


def month_end(month: str) -> date:
    year, mon = (int(p) for p in month.split("-"))
    return date(year, mon, calendar.monthrange(year, mon)[1])


def as_at_title(month: str) -> str:
    """ "Position as at 31 March 2025"."""
    end = month_end(month)
    return f"Position as at {end.day} {calendar.month_name[end.month]} {end.year}"


def month_words(month: str) -> str:
    end = month_end(month)
    return f"{calendar.month_name[end.month]} {end.year}"


def quarter_end(quarter: str) -> date:
    year, q = int(quarter[:4]), int(quarter[-1])
    return month_end(f"{year}-{3 * q:02d}")


def financial_quarter(quarter: str) -> str:
    """Calendar ``2025Q2`` as the UK financial-year quarter "Q1 2025/26"."""
    year, q = int(quarter[:4]), int(quarter[-1])
    fy_start = year if q >= 2 else year - 1
    return f"Q{(q - 2) % 4 + 1} {fy_start}/{(fy_start + 1) % 100:02d}"


# --- writing files --------------------------------------------------------------------------


def save_workbook(wb: Workbook, path: Path) -> Path:
    """Save with fixed zip timestamps and document dates: same content, same bytes."""
    wb.properties.creator = "Dispersal Monitor synthetic data"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", _FIXED_STAMP.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, data)
    return path


def _write_rows(ws, rows: list[list[object]], start: int = 1) -> int:
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None and value != "":
                ws.cell(row=start + i, column=j + 1, value=value)
    return start + len(rows)


def _csv(frame: pd.DataFrame, path: Path, *, encoding: str = "utf-8", banner: list[str] | None = None) -> Path:
    text = frame.to_csv(index=False, lineterminator="\r\n" if encoding == "cp1252" else "\n")
    if banner:
        text = "".join(f"{line}\n" for line in banner) + text
    path.write_bytes(text.encode(encoding))
    return path


def _ints(values: pd.Series) -> list[int]:
    return [int(v) for v in values]


# --- Home Office monthly files ----------------------------------------------------------------

_HEADINGS = {
    "support_type": "Support Type",
    "accommodation_type": "Accommodation Type",
    "nationality": "Nationality",
    "age_band": "Age Band",
    "gender": "Gender",
    "household_type": "Household Type",
}


def _canonical(groups: pd.DataFrame, month: str, la_code: str) -> pd.DataFrame:
    out = groups[GROUP_FIELDS + ["people"]].copy()
    out["accommodation_type"] = out["accommodation_type"].map(HO_ACCOMMODATION)
    out.insert(0, "local_authority", la_code)
    out.insert(0, "month", month)
    return out[CANONICAL_HEADER]


def ho_long_csv(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = None,
) -> Path:
    """The canonical long layout, UTF-8, with a month column."""
    return _csv(_canonical(groups, month, la_code), stem.with_suffix(".csv"))


def ho_banner_xlsx(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = None,
) -> Path:
    """Banner, title and "Position as at" lines; a Total row and notes under the data."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Asylum support"
    table = groups.copy()
    table["accommodation_type"] = table["accommodation_type"].map(HO_ACCOMMODATION)
    fields = [f for f in GROUP_FIELDS if f in table.columns]
    header = ["Postcode Sector", "Local Authority", *[_HEADINGS[f] for f in fields[1:]], "People"]
    rows = [
        ["OFFICIAL-SENSITIVE"],
        [f"Asylum seekers in receipt of support by postcode sector: {la_name}"],
        [as_at_title(month)],
        [],
        header,
    ]
    next_row = _write_rows(ws, rows)
    for cell in ws[next_row - 1]:
        cell.font = _BOLD
    people = _count_cells(table["people"], marker)
    body = [[r[0], la_name, *r[1:], p] for r, p in zip(table[fields].itertuples(index=False), people)]
    next_row = _write_rows(ws, body, next_row)
    total = ["Total"] + [None] * (len(header) - 2) + [int(table["people"].sum())]
    notes = [[], ["Notes:"], ["Counts are of people in receipt of support on the last day of the month."]]
    if marker:
        notes.append([f"{marker} = fewer than 5 people; the figure is withheld to protect privacy."])
    _write_rows(ws, [total, *notes], next_row)
    ws.column_dimensions["A"].width = 18
    return save_workbook(wb, stem.with_suffix(".xlsx"))


def _count_cells(people: pd.Series, marker: str | None) -> list[object]:
    if marker is None:
        return _ints(people)
    return [marker if v < 5 else int(v) for v in people]


def _messy_sector(sector: str, draw: float) -> str:
    outward, digit = sector.split(" ")
    if draw < 0.2:
        return f"{outward}{digit}"
    if draw < 0.35:
        return sector.lower()
    if draw < 0.5:
        return f"{outward}  {digit}"
    if draw < 0.65:
        return f"{outward} {digit}XX"
    if draw < 0.8:
        return f"{outward}\u00a0{digit}"
    return sector


def ho_synonyms_cp1252_csv(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = None,
) -> Path:
    """Hand-made return: synonym headers, short words, messy sectors, Windows-1252; month only in the file name."""
    draws = rng.random(len(groups))
    out = pd.DataFrame(
        {
            "PC Sector": [_messy_sector(s, d) for s, d in zip(groups["postcode_sector"], draws)],
            "LA": la_name,
            "Support": groups["support_type"].str.replace("Section ", "S", regex=False).to_numpy(),
            "Accommodation": groups["accommodation_type"].map(SHORT_ACCOMMODATION).to_numpy(),
            "Country of Origin": groups["nationality"].to_numpy(),
            "Age Group": groups["age_band"].to_numpy(),
            "Sex": groups["gender"].str[0].to_numpy(),
            "Family/Single": groups["household_type"].to_numpy(),
            "No. of people": _ints(groups["people"]),
        }
    )
    return _csv(out, stem.with_suffix(".csv"), encoding="cp1252")


def ho_notes_sheet_xlsx(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = None,
) -> Path:
    """A "Notes" sheet first, the data on a second sheet with an "As at" date column."""
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    _write_rows(
        notes,
        [
            ["Asylum support data for local authorities"],
            ["OFFICIAL-SENSITIVE: do not forward."],
            [f"Prepared for {la_name}."],
            ["The data sheet has one row per group of supported people."],
            ["Groups are defined by area, support, accommodation, nationality, age, sex and household."],
        ],
    )
    ws = wb.create_sheet("Data")
    header = [
        "As at",
        "LA Code",
        "Postcode Sector",
        "Section",
        "Accommodation Type",
        "Nationality",
        "Age Band",
        "Gender",
        "Household Type",
        "Count",
    ]
    _write_rows(ws, [header])
    as_at = datetime.combine(month_end(month), datetime.min.time())
    accommodation = groups["accommodation_type"].map(HO_ACCOMMODATION).to_numpy()
    body = [
        [
            as_at,
            la_code,
            r.postcode_sector,
            r.support_type,
            a,
            r.nationality,
            r.age_band,
            r.gender,
            r.household_type,
            int(r.people),
        ]
        for r, a in zip(groups.itertuples(index=False), accommodation)
    ]
    _write_rows(ws, body, 2)
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "DD/MM/YYYY"
    return save_workbook(wb, stem.with_suffix(".xlsx"))


def ho_wide_xlsx(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = None,
) -> Path:
    """One row per sector and accommodation type, one column per nationality, a Total column and row."""
    table = groups.assign(accommodation=groups["accommodation_type"].map(HO_ACCOMMODATION))
    wide = table.pivot_table(
        index=["postcode_sector", "accommodation"], columns="nationality", values="people", aggfunc="sum", fill_value=0
    )
    nationalities = list(wide.columns)
    wb = Workbook()
    ws = wb.active
    ws.title = "By nationality"
    header = ["Sector", "Local Authority", "Accommodation Type", *nationalities, "Total"]
    next_row = _write_rows(
        ws, [["OFFICIAL-SENSITIVE"], [f"{la_name}: supported people by nationality"], [as_at_title(month)], [], header]
    )
    body = []
    for (sector, accommodation), counts in zip(wide.index, wide.to_numpy()):
        body.append([sector, la_name, accommodation, *[int(c) if c else None for c in counts], int(counts.sum())])
    next_row = _write_rows(ws, body, next_row)
    sums = wide.to_numpy().sum(axis=0)
    _write_rows(ws, [["Total", None, None, *[int(s) for s in sums], int(sums.sum())]], next_row)
    return save_workbook(wb, stem.with_suffix(".xlsx"))


def ho_suppressed_csv(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = "*",
) -> Path:
    """Coarser groups with counts under 5 masked; UTF-8 with BOM; the month written in words."""
    out = pd.DataFrame(
        {
            "Month": month_words(month),
            "Local Authority": la_name,
            "Postcode Sector": groups["postcode_sector"].to_numpy(),
            "Support Type": groups["support_type"].to_numpy(),
            "Accommodation Type": groups["accommodation_type"].map(HO_ACCOMMODATION).to_numpy(),
            "Household Type": groups["household_type"].to_numpy(),
            "People": _count_cells(groups["people"], marker or "*"),
        }
    )
    return _csv(out, stem.with_suffix(".csv"), encoding="utf-8-sig")


def ho_suppressed_xlsx(
    groups: pd.DataFrame,
    stem: Path,
    *,
    month: str,
    la_name: str,
    la_code: str,
    rng: np.random.Generator,
    marker: str | None = "<5",
) -> Path:
    return ho_banner_xlsx(groups, stem, month=month, la_name=la_name, la_code=la_code, rng=rng, marker=marker or "<5")


HoWriter = Callable[..., Path]
#: Layouts whose counts are exact (what the tests compare with the truth).
EXACT_HO_LAYOUTS: dict[str, HoWriter] = {
    "long_csv": ho_long_csv,
    "banner_xlsx": ho_banner_xlsx,
    "synonyms_cp1252_csv": ho_synonyms_cp1252_csv,
    "notes_sheet_xlsx": ho_notes_sheet_xlsx,
    "wide_xlsx": ho_wide_xlsx,
}
#: Layouts with counts under 5 masked (marker used).
SUPPRESSED_HO_LAYOUTS: dict[str, tuple[HoWriter, str]] = {
    "suppressed_csv": (ho_suppressed_csv, "*"),
    "suppressed_xlsx": (ho_suppressed_xlsx, "<5"),
}


# --- provider property lists -------------------------------------------------------------------

MEARS_STATUS = {"in use": "Occupied", "void": "Void", "proposed": "Pipeline", "handed back": "Handed Back"}
MEARS_ACCOMMODATION = {DISPERSAL: "Dispersal", INITIAL: "Initial Accommodation", CONTINGENCY: "Contingency Hotel"}
SERCO_STATUS = {"in use": "Live", "void": "Empty", "proposed": "Proposed", "handed back": "Returned"}
SERCO_ACCOMMODATION = {DISPERSAL: "Dispersal", INITIAL: "Initial Accommodation", CONTINGENCY: "Contingency"}
CLEARSPRINGS_STATUS = {"in use": "Active", "void": "Vacant", "proposed": "Proposed", "handed back": "Ended"}
CLEARSPRINGS_ACCOMMODATION = {DISPERSAL: "Dispersed", INITIAL: "IA", CONTINGENCY: "Hotel"}


def _messy_postcode(postcode: str, draw: float, *, often: bool) -> str:
    """Postcodes as providers type them: lower case, no space, now and then (often, for Serco)."""
    cut = 0.5 if often else 0.08
    if draw < cut / 2:
        return postcode.replace(" ", "").lower()
    if draw < cut:
        return postcode.replace(" ", "") if often else postcode.lower()
    return postcode


def _address_lines(props: pd.DataFrame) -> list[str]:
    parts = props[["addr_line1", "addr_line2", "addr_line3", "town"]].fillna("").to_numpy()
    return [", ".join(p for p in row if p) for row in parts]


def write_mears(
    props: pd.DataFrame, path: Path, *, quarter: str, la_names: list[str], rng: np.random.Generator
) -> Path:
    """Mears: "Cover" and "Property List" sheets, four title lines, address over three lines and a town."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    _write_rows(
        cover,
        [
            ["Mears Group"],
            ["Asylum Accommodation and Support Services Contract"],
            ["Quarterly list of properties in use for asylum accommodation"],
            ["OFFICIAL-SENSITIVE: for the named local authority only"],
        ],
    )
    ws = wb.create_sheet("Property List")
    header = [
        "Property Ref",
        "Address Line 1",
        "Address Line 2",
        "Address Line 3",
        "Town",
        "Postcode",
        "Local Authority",
        "Property Type",
        "Bedspaces",
        "Occupancy",
        "Status",
        "Accommodation Type",
        "Date First Used",
    ]
    titles = [
        ["OFFICIAL-SENSITIVE"],
        ["Mears Group - Asylum Accommodation Property List"],
        [f"Local Authority: {', '.join(la_names)}"],
        [f"Quarter: {financial_quarter(quarter)}"],
        [],
        header,
    ]
    next_row = _write_rows(ws, titles)
    for cell in ws[next_row - 1]:
        cell.font = _BOLD
    draws = rng.random(len(props))
    body = []
    for r, d in zip(props.itertuples(index=False), draws):
        used = datetime.combine(r.date_in_use, datetime.min.time()) if isinstance(r.date_in_use, date) else None
        body.append(
            [
                r.property_ref,
                r.addr_line1,
                r.addr_line2,
                r.addr_line3,
                r.town,
                _messy_postcode(r.postcode, d, often=False),
                r.lad_name,
                r.property_type,
                int(r.bedspaces),
                int(r.occupied),
                MEARS_STATUS[r.status],
                MEARS_ACCOMMODATION[r.accommodation_type],
                used,
            ]
        )
    next_row = _write_rows(ws, body, next_row)
    for row in ws.iter_rows(min_row=7, max_row=next_row - 1, min_col=13, max_col=13):
        row[0].number_format = "DD/MM/YYYY"
    total = ["Total", *[None] * 7, int(props["bedspaces"].sum()), int(props["occupied"].sum())]
    _write_rows(ws, [[], total, ["Data correct at time of extraction"]], next_row)
    return save_workbook(wb, path)


def write_serco(
    props: pd.DataFrame, path: Path, *, quarter: str, la_names: list[str], rng: np.random.Generator
) -> Path:
    """Serco: merged group header over the real one, joined address, "4 beds", "-" when void."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Serco Properties"
    year, q = quarter[:4], quarter[-1]
    header = [
        "ID",
        "Full Address",
        "Post Code",
        "Local Authority",
        "Beds",
        "Occupied",
        "Property Status",
        "Accommodation",
    ]
    _write_rows(
        ws,
        [
            ["Serco - Asylum Accommodation and Support Contract (AASC)"],
            [f"Property list {year} Q{q}"],
            ["OFFICIAL - SENSITIVE"],
            [],
            ["Property", None, None, None, "Capacity", None, "Status"],
            header,
        ],
    )
    for span in ("A5:D5", "E5:F5", "G5:H5"):
        ws.merge_cells(span)
    for row in (5, 6):
        for cell in ws[row]:
            cell.font = _BOLD
            cell.alignment = Alignment(horizontal="center")
    draws = rng.random((len(props), 2))
    body = []
    for r, address, (d1, d2) in zip(props.itertuples(index=False), _address_lines(props), draws):
        full = f"{address}, {r.postcode}" if d1 < 0.3 else address
        beds = f"{int(r.bedspaces)} bed{'s' if r.bedspaces != 1 else ''}"
        occupied = int(r.occupied) if r.status == "in use" else "-"
        body.append(
            [
                int(r.property_ref),
                full,
                _messy_postcode(r.postcode, d2, often=True),
                r.lad_name,
                beds,
                occupied,
                SERCO_STATUS[r.status],
                SERCO_ACCOMMODATION[r.accommodation_type],
            ]
        )
    next_row = _write_rows(ws, body, 7)
    _write_rows(ws, [[], ["* Capacity as contracted"]], next_row)
    return save_workbook(wb, path)


def _clearsprings_frame(props: pd.DataFrame) -> pd.DataFrame:
    occupied = [str(int(o)) if s == "in use" else "" for o, s in zip(props["occupied"], props["status"])]
    started = [d.strftime("%d/%m/%Y") if isinstance(d, date) else "" for d in props["date_in_use"]]
    return pd.DataFrame(
        {
            "Address": [f"{a}, {p}" for a, p in zip(_address_lines(props), props["postcode"])],
            "Local Authority": props["lad_name"].to_numpy(),
            "Accommodation Type": props["accommodation_type"].map(CLEARSPRINGS_ACCOMMODATION).to_numpy(),
            "Property Type": props["property_type"].to_numpy(),
            "Max Occupancy": _ints(props["bedspaces"]),
            "Current Occupants": occupied,
            "Status": props["status"].map(CLEARSPRINGS_STATUS).to_numpy(),
            "Start Date": started,
        }
    )


def write_clearsprings(
    props: pd.DataFrame, path: Path, *, quarter: str, la_names: list[str], rng: np.random.Generator
) -> Path:
    """Clearsprings: no reference or postcode column (the postcode ends the address); ``.csv`` or ``.xlsx``."""
    end = quarter_end(quarter)
    titles = [
        "Clearsprings Ready Homes",
        f"Property Schedule - Quarter ending {end.day} {calendar.month_name[end.month]} {end.year}",
    ]
    frame = _clearsprings_frame(props)
    if path.suffix == ".csv":
        return _csv(frame, path, encoding="utf-8-sig", banner=[*titles, ""])
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    _write_rows(ws, [[t] for t in titles] + [[], list(frame.columns)])
    body = [[None if v == "" else v for v in row] for row in frame.itertuples(index=False)]
    _write_rows(ws, body, 5)
    summary = wb.create_sheet("Summary")
    totals = props.groupby("lad_name", sort=True).agg(n=("bedspaces", "size"), beds=("bedspaces", "sum"))
    _write_rows(
        summary,
        [["Local Authority", "Properties", "Bedspaces"]]
        + [[la, int(n), int(b)] for la, n, b in zip(totals.index, totals["n"], totals["beds"])],
    )
    return save_workbook(wb, path)


PropertyWriter = Callable[..., Path]
PROVIDER_LAYOUTS: dict[str, PropertyWriter] = {
    "Mears": write_mears,
    "Serco": write_serco,
    "Clearsprings": write_clearsprings,
}


# --- files as councils really receive them -------------------------------------------------------
#
# Each writer takes ``groups`` for several LAs (``lad_code`` + GROUP_FIELDS + ``people``) and writes
# them the way a real export, pivot or hand-made return lays them out; the data themselves are never
# changed, so the groups stay the truth the loaded figures are compared with.

#: How councils write their own names ("{}" is the name in the boundary file), one per LA in turn.
COUNCIL_STYLES = (
    "{} City Council",
    "City of {} MDC",
    "{} MBC",
    "{} Metropolitan Borough Council",
    "Council of the City of {}",
    "{} Borough Council",
    "{} MC",
    "{} Council",
)
#: Nationalities as hand-typed returns spell them (the truth keeps the Home Office names).
NATIONALITY_SPELLINGS = {
    "Afghanistan": "Afghan",
    "Iran": "IRAN",
    "Eritrea": " eritrea ",
    "Syria": "Syrian Arab Republic",
    "Vietnam": "Viet Nam",
    "Sudan": "sudanese",
    "Iraq": "Iraqi",
    "Albania": "albania",
}
_GENDER_CODES = {"Male": "M", "Female": "F"}
#: The applicant role the coded returns write for each household type, and what the reader must make of it.
ROLE_OF_HOUSEHOLD = {"Single": "Main Applicant", "Family": "Dependant"}
ROLE_LOADED = {"Main Applicant": "Principal", "Dependant": "Dependant"}


def council_name(name: str, index: int) -> str:
    return COUNCIL_STYLES[index % len(COUNCIL_STYLES)].format(name)


def _la_order(groups: pd.DataFrame) -> list[str]:
    return sorted(groups["lad_code"].unique())


def ho_la_blocks_xlsx(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """One block per LA, each closed by a "Total" row under People, a blank row between, a Grand Total last."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Monthly return"
    header = ["Local Authority", "Postcode Sector", "Support Type", "Accommodation Type", "Nationality", "People"]
    rows: list[list[object]] = [["OFFICIAL-SENSITIVE"], [as_at_title(month)], [], header]
    for code in _la_order(groups):
        block = groups[groups["lad_code"] == code]
        for r in block.itertuples(index=False):
            rows.append(
                [
                    la_names[code],
                    r.postcode_sector,
                    r.support_type,
                    HO_ACCOMMODATION[r.accommodation_type],
                    r.nationality,
                    int(r.people),
                ]
            )
        rows.append(["Total", None, None, None, None, int(block["people"].sum())])
        rows.append([])
    rows.append(["Grand Total", None, None, None, None, int(groups["people"].sum())])
    _write_rows(ws, rows)
    return save_workbook(wb, path)


def ho_grand_total_top_csv(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """A report whose "Grand Total" row sits just under the header, above the data."""
    out = _canonical_multi(groups, la_names)
    total = pd.DataFrame([{"Local Authority": "Grand Total", "People": int(groups["people"].sum())}])
    frame = pd.concat([total, out], ignore_index=True)[list(out.columns)]
    return _csv(frame.fillna(""), path, banner=[f"Supported people {month_words(month)}", ""])


def _canonical_multi(groups: pd.DataFrame, la_names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Local Authority": groups["lad_code"].map(la_names).to_numpy(),
            "Postcode Sector": groups["postcode_sector"].to_numpy(),
            "Support Type": groups["support_type"].to_numpy(),
            "Accommodation Type": groups["accommodation_type"].map(HO_ACCOMMODATION).to_numpy(),
            "Nationality": groups["nationality"].to_numpy(),
            "Age Band": groups["age_band"].to_numpy(),
            "Gender": groups["gender"].to_numpy(),
            "Household Type": groups["household_type"].to_numpy(),
            "People": _ints(groups["people"]),
        }
    )


def ho_serial_month_xlsx(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """A system export whose "Month" column holds the Excel serial of the month end (45747) as a plain number."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    serial = (month_end(month) - date(1899, 12, 30)).days
    frame = _canonical_multi(groups, la_names)
    _write_rows(ws, [["Month", *frame.columns]] + [[serial, *row] for row in frame.itertuples(index=False)])
    return save_workbook(wb, path)


def ho_extract_and_position_xlsx(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """Two dates above the header: the extract's run date (the next month) and the position date (the month)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    end = month_end(month)
    extracted = date(end.year + (end.month == 12), end.month % 12 + 1, 2)
    frame = _canonical_multi(groups, la_names)
    _write_rows(
        ws,
        [
            ["Asylum support: supported people by postcode sector"],
            [f"Extract date: {extracted:%d/%m/%Y}"],
            [f"Position as at: {end:%d/%m/%Y}"],
            [],
            list(frame.columns),
            *[list(r) for r in frame.itertuples(index=False)],
        ],
    )
    return save_workbook(wb, path)


def ho_council_names_csv(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """LAs written as their councils write them ("Leeds City Council", "City of Bradford MDC", "Kirklees MC")."""
    styled = {code: council_name(la_names[code], i) for i, code in enumerate(_la_order(groups))}
    frame = _canonical_multi(groups, styled).rename(columns={"Local Authority": "Council"})
    return _csv(frame, path.with_name(f"{path.stem}_{month}{path.suffix}"))


def ho_coded_breakdowns_csv(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """Codes and spellings of hand-made returns: M/F, "Main Applicant"/"Dependant", "Section IV", "Afghan"."""
    frame = _canonical_multi(groups, la_names)
    frame["Gender"] = groups["gender"].map(_GENDER_CODES).to_numpy()
    frame["Household Type"] = groups["household_type"].map(ROLE_OF_HOUSEHOLD).to_numpy()
    frame["Support Type"] = (
        groups["support_type"]
        .replace({"Section 4": "Section IV", "Section 95": "s95", "Section 98": "S.98"})
        .to_numpy()
    )
    frame["Nationality"] = groups["nationality"].map(lambda n: NATIONALITY_SPELLINGS.get(n, n)).to_numpy()
    return _csv(frame, path.with_name(f"{path.stem}_{month}{path.suffix}"))


def ho_gender_by_age_xlsx(
    groups: pd.DataFrame, path: Path, *, month: str, la_names: dict[str, str], rng: np.random.Generator
) -> Path:
    """Two header rows: "Male" and "Female" merged over the age bands, one row per LA and sector."""
    bands = sorted(groups["age_band"].unique(), key=lambda b: int(re.match(r"\d+", b).group()))
    wide = groups.pivot_table(
        index=["lad_code", "postcode_sector"],
        columns=["gender", "age_band"],
        values="people",
        aggfunc="sum",
        fill_value=0,
    )
    genders = ["Male", "Female"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Gender by age"
    top = ["", ""]
    for g in genders:
        top += [g] + [None] * (len(bands) - 1)
    rows = [
        [f"Supported people by gender and age, {as_at_title(month)}"],
        [],
        top,
        ["Local Authority", "Postcode Sector", *bands * len(genders)],
    ]
    for (code, sector), counts in wide.iterrows():
        cells = [int(counts.get((g, b), 0)) or None for g in genders for b in bands]
        rows.append([la_names[code], sector, *cells])
    _write_rows(ws, rows)
    for i in range(len(genders)):
        first = 3 + i * len(bands)
        ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + len(bands) - 1)
    return save_workbook(wb, path)


#: The layouts above, by name: what the readers must meet as councils really receive files.
RECEIVED_HO_LAYOUTS: dict[str, Callable[..., Path]] = {
    "la_blocks_xlsx": ho_la_blocks_xlsx,
    "grand_total_top_csv": ho_grand_total_top_csv,
    "serial_month_xlsx": ho_serial_month_xlsx,
    "extract_and_position_xlsx": ho_extract_and_position_xlsx,
    "council_names_csv": ho_council_names_csv,
    "coded_breakdowns_csv": ho_coded_breakdowns_csv,
    "gender_by_age_xlsx": ho_gender_by_age_xlsx,
}


def write_la_sections(
    props: pd.DataFrame, path: Path, *, quarter: str, la_names: list[str], rng: np.random.Generator
) -> Path:
    """A property list with one section per LA: a heading line, the rows, and a "Total" row of bedspaces."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Properties"
    header = ["Property Ref", "Address", "Postcode", "Local Authority", "Bedspaces", "Occupied", "Status"]
    rows: list[list[object]] = [
        ["Asylum accommodation property list"],
        [f"Quarter: {financial_quarter(quarter)}"],
        [],
        header,
    ]
    for la in sorted(props["lad_name"].unique()):
        section = props[props["lad_name"] == la]
        rows.append([])
        for r, address in zip(section.itertuples(index=False), _address_lines(section)):
            rows.append(
                [r.property_ref, address, r.postcode, la, int(r.bedspaces), int(r.occupied), MEARS_STATUS[r.status]]
            )
        rows.append([f"{la} Total", None, None, None, int(section["bedspaces"].sum()), int(section["occupied"].sum())])
    _write_rows(ws, rows)
    return save_workbook(wb, path)
