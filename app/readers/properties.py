"""Provider quarterly property lists: one row per property, with capacity and occupancy.

Every layout is read by the same synonyms (:data:`SYNONYMS`), so any provider
whose columns use these names is read without a profile. The three contract
providers' workbooks as we know them (and as the synthetic data imitates):

**Mears** (``.xlsx``). Sheets "Cover" (text only) and "Property List" (the data).
"Property List": row 1 "OFFICIAL-SENSITIVE", row 2 "Mears Group - Asylum
Accommodation Property List", row 3 "Local Authority: <LA name>", row 4
"Quarter: Q1 2025/26" (financial-year quarter), row 5 blank, row 6 the header::

    Property Ref | Address Line 1 | Address Line 2 | Address Line 3 | Town | Postcode | Local Authority |
    Property Type | Bedspaces | Occupancy | Status | Accommodation Type | Date First Used

Property Ref "MRS-004211"; the address split over Line 1 ("Flat 2" or
"12 Acacia Avenue"), Line 2 (the street when Line 1 is a flat, else blank),
Line 3 (a locality, often blank) and Town; Postcode a unit in any case and
spacing; Property Type House / Flat / HMO / Maisonette; Bedspaces and
Occupancy number cells (Occupancy 0 when void); Status Occupied / Void /
Pipeline / Handed Back; Accommodation Type "Dispersal"; Date First Used an
Excel date cell. Under the data: a blank row, a "Total" row (the word in
Property Ref, sums under Bedspaces and Occupancy), then the note
"Data correct at time of extraction".

**Serco** (``.xlsx``). One sheet "Serco Properties": row 1 "Serco - Asylum
Accommodation and Support Contract (AASC)", row 2 "Property list 2025 Q2"
(calendar quarter), row 3 "OFFICIAL - SENSITIVE", row 4 blank, row 5 a group
header of merged cells ("Property" over A5:D5, "Capacity" over E5:F5,
"Status" over G5:H5), row 6 the header::

    ID | Full Address | Post Code | Local Authority | Beds | Occupied | Property Status | Accommodation

ID a number cell (100234); Full Address one comma-separated cell
("Flat 2, 12 Acacia Avenue, Middlesbrough", sometimes with the postcode
repeated at the end); Post Code often without its space or in lower case
("ts13ab"); Beds text "4 beds" / "1 bed"; Occupied a number, or "-" when
void; Property Status Live / Empty / Proposed / Returned; Accommodation
Dispersal / Initial Accommodation / Contingency. No total row; a last line
"* Capacity as contracted" is a note.

**Clearsprings Ready Homes** (``.xlsx``, or the same columns as a UTF-8-BOM
CSV). Sheets "Data" and "Summary" (per-LA totals: "Local Authority |
Properties | Bedspaces", never picked). "Data": row 1 "Clearsprings Ready
Homes", row 2 "Property Schedule - Quarter ending 30 June 2025", row 3 blank,
row 4 the header::

    Address | Local Authority | Accommodation Type | Property Type | Max Occupancy | Current Occupants |
    Status | Start Date

No property reference and no postcode column: Address is one cell ending
with the postcode ("Flat 2, 12 Acacia Avenue, Middlesbrough, TS1 3AB");
Accommodation Type Dispersed / IA / Hotel; Max Occupancy a number; Current
Occupants a number or blank; Status Active / Vacant / Proposed / Ended;
Start Date text written day first ("01/04/2024").

What the reader does with any layout:

* Address columns (any number) are joined with ", ", blanks skipped; a postcode
  repeated at the end of the address is cut off. With no postcode column the
  postcode is taken from the end of the address. An unreadable postcode is a
  warning: the row is kept with postcode <NA>.
* Bedspaces "4", "4.0", "4 beds", "4 bedspaces", and the words one to twenty
  ("four beds"); blank or unreadable refuses the file. Occupied is optional:
  blank or "-" is <NA>; an unreadable value or occupied above bedspaces is a
  warning.
* ``property_key`` is the provider's reference, else the address and postcode in
  upper case without punctuation; two rows with the same key refuse the file.
* Status becomes in use / void / proposed / handed back; accommodation type
  dispersal / initial / contingency / subsistence (see :mod:`app.readers.vocabulary`).
* The quarter (``YYYYQn``, calendar quarters; "Q1 2025/26" is ``2025Q2``) comes
  from the argument, the profile, a title line ("Q1 2025/26", "2025 Q2",
  "Quarter ending 30 June 2025", "as at 30 June 2025") or the file name
  ("Serco_2025Q2.xlsx"); all that exist must agree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from app.cluster.records import PROPERTY_COLUMNS, conform
from app.config import ACCOMMODATION_TYPES
from app.geography.postcodes import OUTWARD, normalise_postcodes, sectors_of_units
from app.problems import InputRefused, Problem, ProblemLog
from app.readers import vocabulary
from app.readers.periods import months_in, parse_quarter, quarter_of_month, quarters_in, titled_and_named
from app.readers.profiles import Profile, load_profile
from app.readers.result import ReadResult
from app.readers.tables import (
    ColumnMap,
    Table,
    choose_sheet_for,
    clean_text,
    cut_footer,
    map_columns,
    read_sheets,
    refuse_ambiguous,
    refuse_rows,
    stated_overall,
    stated_totals,
    warn_rows,
)

SYNONYMS: dict[str, list[str]] = {
    "property_ref": [
        "Property Ref",
        "Property Reference",
        "Ref",
        "Reference",
        "ID",
        "Property ID",
        "Prop Ref",
        "Property No",
        "Property Number",
        "Property Code",
        "UPRN",
    ],
    "address": [
        "Address",
        "Full Address",
        "Property Address",
        "Address Line 1",
        "Address Line 2",
        "Address Line 3",
        "Address Line 4",
        "Address 1",
        "Address 2",
        "Address 3",
        "Address 4",
        "Line 1",
        "Line 2",
        "Line 3",
        "Street",
        "Street Address",
        "House Number",
        "House No",
        "Building Name",
        "Flat",
        "Locality",
        "District",
        "Town",
        "City",
        "Town/City",
        "Post Town",
    ],
    "postcode": ["Postcode", "Post Code", "Postal Code", "PC", "Post-code"],
    "bedspaces": [
        "Bedspaces",
        "Bed Spaces",
        "Beds",
        "Capacity",
        "Max Occupancy",
        "Maximum Occupancy",
        "Bedspace Capacity",
        "Number of Bedspaces",
        "No. of Beds",
        "No of Bedspaces",
        "Contracted Bedspaces",
        "Contracted Capacity",
        "Total Bedspaces",
    ],
    "occupied": [
        "Occupancy",
        "Occupied",
        "Current Occupants",
        "Occupants",
        "Current Occupancy",
        "Occupied Bedspaces",
        "Occupied Beds",
        "No. Occupied",
        "People",
        "Residents",
        "Service Users",
    ],
    "local_authority": ["LA", "Local Authority", "Local Authority Name", "LA Name", "LA Code", "LAD Code", "Council"],
    "property_type": ["Property Type", "Type", "Dwelling Type", "Building Type", "Type of Property"],
    "status": ["Status", "Property Status", "Current Status"],
    "accommodation_type": ["Accommodation Type", "Accommodation", "Accom Type", "Contract Type"],
    "date_in_use": [
        "Date First Used",
        "Start Date",
        "Date In Use",
        "Date Occupied",
        "First Used",
        "Go Live Date",
        "Live Date",
        "Date Added",
        "In Use From",
        "Date Live",
        "Date Opened",
    ],
}
REQUIRED = ("address", "bedspaces")
PROFILE_OPTIONS = ("quarter",)

PROVIDERS = {
    "mears": "Mears",
    "mears group": "Mears",
    "mears group plc": "Mears",
    "mears ltd": "Mears",
    "serco": "Serco",
    "serco plc": "Serco",
    "serco ltd": "Serco",
    "clearsprings": "Clearsprings",
    "crh": "Clearsprings",
    "clearsprings ready homes": "Clearsprings",
    "clearsprings ready homes ltd": "Clearsprings",
    "ready homes": "Clearsprings",
}
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_CAPACITY = re.compile(
    r"^(?P<n>\d+|[a-z]+)(?:\.0+)?\s*(?:beds?|bedspaces?|bed spaces?|spaces?|places?|people|persons?)?$"
)
_TRAILING_POSTCODE = re.compile(rf"[\s,]*\b({OUTWARD})\s*([0-9][A-Z]{{2}})\s*$", re.IGNORECASE)
_TITLE_AS_AT = re.compile(r"\b(as at|as of|position|correct at)\b", re.I)


def normalise_provider(name: str) -> str:
    """ "mears", "Mears Group" -> "Mears"; "CRH" -> "Clearsprings"; other names as written."""
    return PROVIDERS.get(vocabulary.word_key(name), str(name).strip())


def read_properties(
    path: str | Path,
    *,
    provider: str,
    quarter: str | None = None,
    profile: Path | str | dict | Profile | None = None,
    sheet: str | None = None,
) -> ReadResult:
    """Read one provider property list into ``PROPERTY_COLUMNS``.

    Raises :class:`InputRefused` listing every reason when the file cannot be
    loaded whole; warnings (bad postcodes, unreadable occupancy, occupancy
    over capacity, unknown status words) come back with the table.
    """
    path = Path(path)
    prof = load_profile(profile, fields=[*SYNONYMS], options=PROFILE_OPTIONS, multi=("address",)) or Profile()
    if not str(provider or "").strip():
        raise InputRefused(
            [Problem("the provider is not named; give it with --provider NAME", path.name, code="provider")]
        )
    sheets = read_sheets(path, sheet or prof.sheet)
    raw, header_index = choose_sheet_for(sheets, SYNONYMS, REQUIRED, prof)
    table = raw.table(header_index)
    columns = map_columns(table.header, SYNONYMS, prof.columns, multi=("address",))
    log = table.log()
    found = ", ".join(f"'{h}'" for h in table.header if h)
    for canonical, name in columns.missing_from_profile.items():
        log.refuse(
            f"the profile {prof.source} names column '{name}' for {canonical.replace('_', ' ')}, but the "
            f"header row (row {table.header_row}) has no such column; the columns are: {found}",
            row=table.header_row,
            code="missing_column",
        )
    for needed in REQUIRED:
        if needed not in columns:
            log.refuse(
                f"the header row (row {table.header_row}) has no {needed} column; the columns are: {found}",
                row=table.header_row,
                code="missing_column",
            )
    refuse_ambiguous(log, table, columns, prefer={"local_authority": "code", "property_ref": "ref"})
    log.raise_if_refused()

    labels = [0, *columns.multi["address"][:1]] + (
        [columns.columns["property_ref"]] if "property_ref" in columns else []
    )
    labels += [columns.columns["local_authority"]] if "local_authority" in columns.columns else []
    table, footer = cut_footer(table, labels)
    if table.cells.empty:
        raise InputRefused(
            [
                Problem(
                    f"there are no properties under the header (row {table.header_row})",
                    table.file,
                    table.sheet,
                    code="empty",
                )
            ]
        )
    frame = _fields(table, columns, log)
    _check_duplicates(log, table, columns, frame)
    found_totals = []
    if not log.refusals:
        checks = {
            columns.columns["bedspaces"]: (
                table.column_name(columns.columns["bedspaces"]),
                frame["bedspaces"].astype("Float64").fillna(0).astype(float),
                pd.Series(0, index=frame.index),
            )
        }
        if "occupied" in columns.columns:
            checks[columns.columns["occupied"]] = (
                table.column_name(columns.columns["occupied"]),
                frame["occupied"].fillna(0).astype(float),
                pd.Series(0, index=frame.index),
            )
        found_totals = stated_totals(log, footer, checks, what="")
    the_quarter, quarter_meta = _resolve_quarter(log, raw.title_lines(header_index), path, quarter, prof)
    log.raise_if_refused()

    frame["provider"] = normalise_provider(provider)
    frame["quarter"] = the_quarter
    frame["sheet"] = table.sheet
    result = conform(frame, PROPERTY_COLUMNS)
    meta = {
        "provider": frame["provider"].iloc[0],
        "quarter": the_quarter,
        **quarter_meta,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "rows": len(result),
        "bedspaces": int(result["bedspaces"].sum()),
        "occupied": float(result["occupied"].sum()),
        "columns": {name: table.column_name(pos) for name, pos in columns.columns.items()}
        | {"address": [table.column_name(p) for p in columns.multi.get("address", [])]},
        "total_row": footer.total_row,
        "stated_bedspaces": stated_overall(found_totals, table.column_name(columns.columns["bedspaces"])),
        "blocks": found_totals,
        "total_rows": [t.row for t in footer.totals],
    }
    return ReadResult(result, log.warnings, meta)


def _join(parts: list[pd.Series]) -> pd.Series:
    out = parts[0]
    for part in parts[1:]:
        out = (out + ", " + part).fillna(out).fillna(part)
    return out


def _fields(table: Table, columns: ColumnMap, log: ProblemLog) -> pd.DataFrame:
    cells, cols = table.cells, columns.columns
    frame = pd.DataFrame(index=cells.index)
    frame["source_row"] = cells.index
    address_positions = columns.multi["address"]
    address_name = table.column_name(address_positions[0])
    address = _join([clean_text(cells[p]).str.strip(" ,") for p in address_positions])
    address = address.mask(address.eq(""))
    trailing = address.str.extract(_TRAILING_POSTCODE)
    trailing_unit = (trailing[0].str.upper() + " " + trailing[1].str.upper()).astype("string")
    if "postcode" not in cols and trailing_unit.isna().all():
        log.refuse(
            f"no postcode was found: the header row (row {table.header_row}) has no postcode column and no "
            f"address in the '{address_name}' column ends with one, so no property could be placed on a map. "
            "Add a 'Postcode' column",
            row=table.header_row,
            column=address_name,
            code="missing_postcode",
        )
    if "postcode" in cols:
        postcode_name = table.column_name(cols["postcode"])
        raw_postcode = clean_text(cells[cols["postcode"]])
        units, reasons = normalise_postcodes(raw_postcode)
        repeated = trailing_unit.eq(units).fillna(False)
    else:
        postcode_name = address_name
        units, reasons = normalise_postcodes(trailing_unit)
        reasons = reasons.mask(units.isna(), "no postcode was found at the end of the address")
        repeated = units.notna()
    address = address.where(~repeated, address.str.replace(_TRAILING_POSTCODE, "", regex=True).str.strip(" ,"))
    refuse_rows(
        log,
        pd.Series("the address is empty", index=cells.index).where(address.isna()),
        address_name,
        code="missing_address",
    )
    warn_rows(
        log,
        (reasons + "; the property is kept without a postcode").where(units.isna() & address.notna()),
        postcode_name,
        code="bad_postcode",
    )
    frame["address"] = address
    frame["postcode"] = units
    frame["postcode_sector"] = sectors_of_units(units)

    bedspace_name = table.column_name(cols["bedspaces"])
    bedspaces, bad = _capacity(cells[cols["bedspaces"]])
    refuse_rows(
        log, bad.mask(bad.eq("").fillna(False), "the number of bedspaces is empty"), bedspace_name, code="bad_bedspaces"
    )
    frame["bedspaces"] = bedspaces.astype("Int64")
    if "occupied" in cols:
        frame["occupied"] = _occupied(log, table, cols["occupied"], bedspaces)
    frame["property_ref"] = clean_text(cells[cols["property_ref"]]) if "property_ref" in cols else pd.NA
    key = address.str.upper().str.replace(r"[^A-Z0-9 ]", " ", regex=True).str.replace(
        r"\s+", " ", regex=True
    ).str.strip() + (" " + units).fillna("")
    frame["property_key"] = frame["property_ref"].astype("string").fillna(key)
    for name in ("local_authority", "property_type"):
        if name in cols:
            frame[name] = clean_text(cells[cols[name]])
    if "status" in cols:
        frame["status"], unknown = vocabulary.map_values(cells[cols["status"]], vocabulary.property_status)
        if unknown:
            log.warn(
                f"status {', '.join(repr(u) for u in unknown)} is not one of in use, void, proposed, handed back;"
                " kept as written (in lower case)",
                column=table.column_name(cols["status"]),
                code="unknown_status",
            )
    if "accommodation_type" in cols:
        frame["accommodation_type"], unknown = vocabulary.map_values(
            cells[cols["accommodation_type"]], vocabulary.accommodation_type
        )
        if unknown:
            log.warn(
                f"accommodation type {', '.join(repr(u) for u in unknown)} is not one of "
                f"{', '.join(ACCOMMODATION_TYPES)}; kept as written (in lower case)",
                column=table.column_name(cols["accommodation_type"]),
                code="unknown_accommodation",
            )
    if "date_in_use" in cols:
        frame["date_in_use"] = _dates(log, table, cols["date_in_use"])
    return frame


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers from "4", "4.0", "4 beds", "four"; (numbers, cleaned text)."""
    text = clean_text(values).str.lower().str.replace(",", "", regex=False)
    parts = text.str.extract(_CAPACITY)["n"]
    words = parts.map(_NUMBER_WORDS, na_action="ignore")
    numbers = pd.to_numeric(parts.where(parts.str.isdigit().fillna(False)).astype(object), errors="coerce")
    return numbers.fillna(pd.to_numeric(words, errors="coerce")), text


def _capacity(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Bedspaces, and a reason per unreadable cell ("" for blank cells, <NA> when fine)."""
    numbers, text = _numbers(values)
    bad = pd.Series(pd.NA, index=values.index, dtype="string")
    unread = numbers.isna() & text.notna()
    bad[unread] = "'" + clean_text(values)[unread] + "' is not a number of bedspaces"
    bad[text.isna()] = ""
    return numbers, bad


def _occupied(log: ProblemLog, table: Table, position: int, bedspaces: pd.Series) -> pd.Series:
    name = table.column_name(position)
    original = clean_text(table.cells[position])
    given = original.notna() & ~original.isin(["-", "\u2013", "n/a", "N/A", "na"])
    numbers, _ = _numbers(original.where(given))
    unread = given & numbers.isna()
    warn_rows(
        log,
        ("'" + original + "' is not a number of people; occupancy left empty").where(unread),
        name,
        code="bad_occupied",
    )
    over = numbers.gt(bedspaces) & bedspaces.notna()
    warn_rows(
        log,
        (
            "occupied ("
            + numbers.astype("Int64").astype("string")
            + ") is more than the bedspaces ("
            + bedspaces.astype("Int64").astype("string")
            + ")"
        ).where(over),
        name,
        code="over_capacity",
    )
    return numbers.astype("Float64")


def _dates(log: ProblemLog, table: Table, position: int) -> pd.Series:
    text = clean_text(table.cells[position])
    iso = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    rest = text.where(iso.isna())
    if rest.notna().any():
        parsed = pd.to_datetime(rest, format="mixed", dayfirst=True, errors="coerce")
        iso = iso.fillna(parsed)
    unread = text.notna() & iso.isna()
    warn_rows(
        log, ("'" + text + "' is not a date; left empty").where(unread), table.column_name(position), code="bad_date"
    )
    return iso.dt.strftime("%Y-%m-%d").astype("string")


def _check_duplicates(log: ProblemLog, table: Table, columns: ColumnMap, frame: pd.DataFrame) -> None:
    keys = frame["property_key"]
    duplicated = keys.duplicated(keep=False) & keys.notna()
    if not duplicated.any():
        return
    column = table.column_name(columns.columns["property_ref"]) if "property_ref" in columns.columns else None
    first_row = frame.loc[duplicated].groupby("property_key")["source_row"].transform("min")
    reasons = pd.Series(pd.NA, index=frame.index, dtype="string")
    later = duplicated & frame["source_row"].ne(first_row.reindex(frame.index))
    has_ref = frame["property_ref"].notna()
    what = pd.Series("the same address and postcode", index=frame.index).where(~has_ref, "the same property reference")
    reasons[later] = (
        "rows "
        + first_row.reindex(frame.index)[later].astype(int).astype(str)
        + " and "
        + frame["source_row"][later].astype(str)
        + " have "
        + what[later]
        + " '"
        + frame["property_ref"].astype("string").fillna(frame["address"])[later]
        + "'"
    )
    refuse_rows(log, reasons, column, code="duplicate_property")


def _resolve_quarter(
    log: ProblemLog, titles: list[str], path: Path, argument: str | None, prof: Profile
) -> tuple[str | None, dict]:
    sources: list[tuple[str, str, str]] = []
    for kind, value in (("argument", argument), ("profile", prof.options.get("quarter"))):
        if value is None or value == "":
            continue
        parsed = parse_quarter(value)
        where = f"--quarter {value}" if kind == "argument" else f"the profile {prof.source}"
        if parsed is None:
            log.refuse(f"{where}: '{value}' is not a quarter; write it as YYYYQn, e.g. 2025Q2", code="quarter")
        else:
            sources.append((kind, where, parsed))
    sources += titled_and_named(
        log,
        titles,
        path,
        "quarter",
        lambda line: (
            quarters_in(line) or ([quarter_of_month(m) for m in months_in(line)] if _TITLE_AS_AT.search(line) else [])
        ),
        quarters_in,
    )
    quarters = {q for _, _, q in sources}
    if len(quarters) > 1:
        listed = "; ".join(f"{desc} says {q}" for _, desc, q in sources)
        log.refuse(
            f"the quarter is unclear: {listed}. Correct the file (or its name), or give the right --quarter, "
            "so that they agree",
            code="quarter",
        )
        return None, {}
    if not quarters:
        if all(p.code != "quarter" for p in log.refusals):
            log.refuse(
                "the quarter of the list is not in the file (no title such as 'Q1 2025/26' or 'Quarter ending "
                "30 June 2025', no quarter in the file name): give it with --quarter YYYYQn",
                code="quarter",
            )
        return None, {}
    return quarters.pop(), {"quarter_source": sources[0][0], "quarter_sources": [k for k, _, _ in sources]}
