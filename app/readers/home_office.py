"""The Home Office monthly restricted extract: people supported, by postcode sector.

Layouts read (``.xlsx``/``.xls``/``.csv``, see :mod:`app.readers.tables` for files):

* **Long**: one row per group of people; a postcode sector column and a count
  column are required, any of local authority, support type, accommodation
  type, nationality, age band (or age in years), gender, household type, UASC
  and month may follow. Column names are matched by :data:`SYNONYMS` (case,
  spacing and punctuation ignored), or named in a mapping profile.
* **Wide**: one row per sector and one count column per category: nationality
  ("Eritrea", "Iran"...), age band ("0-4", "18-24", "50+"), accommodation type
  ("Dispersal", "Initial", "Contingency", "Subsistence only"), gender
  ("Male", "Female") or household type ("Single", "Family"); "Other" and
  "Unknown" columns go with the rest. It is melted to the long layout; blank
  and zero cells are dropped. A "Total" (or "People") column is a check only.

Both may have banner lines above the header ("OFFICIAL-SENSITIVE", a title,
"Position as at 31 March 2025"), notes below the data, and "Total",
"Subtotal", "Grand Total" or "Leeds Total" rows anywhere: each ends a block
(one per LA, say), never the sheet, and every figure it states must equal
the rows it sums, or the file is refused naming both figures. The stated and
loaded totals are in ``meta`` (``stated_total``, ``loaded_total``, ``blocks``).
A wide layout may have a second header row above the categories ("Male"
merged over the age bands, "Female" over the next), giving both breakdowns.
Two columns that could be one field (``People`` twice) are refused.
Breakdowns are mapped to one spelling by :mod:`app.readers.vocabulary`; a
value it cannot place is kept as written and counted in a note, and a
column the reader cannot place is named in a note.

Counts: whole numbers ("12", "12.0", "1,234"). Suppressed cells (``*``, ``<5``,
``c``, ``[c]``, ``x``, ``-``, ``..``, ``z``...) are loaded as
``Settings.suppressed_estimate`` people with ``suppressed`` set and the cell
kept in ``people_as_written``, and summarised in one warning. A blank,
negative, fractional or non-numeric count, or a sector that cannot be read,
refuses the file, listing every such row.

The month comes from a month/date column (all rows must agree; text dates day
first, ``Mar-25``, ``March 2025``, date cells or Excel serial numbers), a
title line (an extract, report-run or produced-on date is not the month: the
position date beside it is), the file name, the ``month`` argument or the
profile; all that exist must agree. The ``month`` argument settles what the
file cannot: title lines naming two months (when it is one of them) and a
month column the reader cannot read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from app.cluster.records import HOME_OFFICE_COLUMNS, conform
from app.config import ACCOMMODATION_TYPES, Settings
from app.geography.postcodes import normalise_sectors
from app.problems import InputRefused, Problem, ProblemLog
from app.readers import vocabulary
from app.readers.periods import months_at, months_in, parse_month, titled_and_named
from app.readers.profiles import Profile, load_profile
from app.readers.result import ReadResult
from app.readers.tables import (
    ColumnMap,
    Footer,
    Table,
    block_label,
    choose_sheet_for,
    clean_text,
    cut_footer,
    describe_accepted,
    field_label,
    header_key,
    map_columns,
    parse_counts,
    read_sheets,
    refuse_ambiguous,
    refuse_rows,
    row_list,
    row_ranges,
    stated_overall,
    stated_totals,
)

SYNONYMS: dict[str, list[str]] = {
    "postcode_sector": ["Postcode Sector", "PC Sector", "Sector", "Postcode", "Post Code Sector", "Postal Sector"],
    "people": [
        "People",
        "No. of people",
        "Number of people",
        "Count",
        "Persons",
        "Number",
        "Total",
        "Total people",
        "People supported",
        "Number supported",
        "Sum of People",
        "Sum of Count",
        "Count of People",
        "Sum of Number of people",
    ],
    "local_authority": [
        "LA",
        "Local Authority",
        "Local Authority Name",
        "LA Name",
        "LA Code",
        "LAD Code",
        "Local Authority Code",
        "LAD",
        "LAD Name",
        "Council",
    ],
    "support_type": ["Support Type", "Section", "Support"],
    "accommodation_type": ["Accommodation Type", "Accommodation", "Accom Type"],
    "nationality": ["Nationality", "Country of Origin", "Country", "Country of Nationality"],
    "age_band": ["Age Band", "Age Group", "Age Range"],
    "age": ["Age", "Age in years", "Age (years)"],
    "gender": ["Gender", "Sex"],
    "household_type": ["Household Type", "Family/Single", "Single/Family", "Household", "Family Type"],
    "uasc": ["UASC", "Unaccompanied", "Unaccompanied Child"],
    "month": ["Month", "Date", "As at", "Position as at", "As at date", "Period", "Reporting Month", "Snapshot Date"],
}
REQUIRED = ("postcode_sector",)
PROFILE_OPTIONS = ("month", "layout", "category")
CATEGORY_FIELDS = ("nationality", "age_band", "accommodation_type", "gender", "household_type")
AGE_BANDS = ("0-4", "5-17", "18-24", "25-34", "35-49", "50+")

_AGE_BAND = re.compile(
    r"^(?:age\s*)?(\d{1,3})\s*(?:-|to|\u2013)\s*(\d{1,3})$|^(?:age\s*)?(\d{1,3})\s*(?:\+|and over|plus|or over|and above)$"
    r"|^(?:under|less than)\s*(\d{1,3})$"
)
_NEUTRAL = {
    "other",
    "others",
    "unknown",
    "not known",
    "not stated",
    "other unknown",
    "unspecified",
    "prefer not to say",
    "other or unknown",
    "all other",
    "rest of world",
    "other nationalities",
}
_GENDER_WORDS = {"male", "female", "males", "females", "men", "women", "man", "woman", "non binary", "other gender"}
_HOUSEHOLD_WORDS = {
    "single",
    "singles",
    "family",
    "families",
    "single adult",
    "family member",
    "principal",
    "dependant",
    "dependent",
    "dependants",
    "main applicant",
}
_NOT_CATEGORY = {"year", "quarter", "id", "ref", "reference", "row", "no", "rowno", "ward", "wardcode", "region"}
#: Title lines that date the extract or report, not the data: the position date beside them is the month.
_TITLE_NOT_PERIOD = re.compile(
    r"\b(produced|published|created|generated|printed|run on|extract(ed|ion)?( date| on)?|"
    r"issued|report (run|date)|run date|date (of|run)|downloaded|exported|prepared|"
    r"compiled|sent|refreshed|last updated|updated on)\b",
    re.I,
)


def read_home_office(
    path: str | Path,
    *,
    month: str | None = None,
    profile: Path | str | dict | Profile | None = None,
    sheet: str | None = None,
    settings: Settings | None = None,
) -> ReadResult:
    """Read one monthly restricted file into ``HOME_OFFICE_COLUMNS``.

    Raises :class:`InputRefused` with every reason when the file cannot be
    loaded whole; returns the table, warnings (suppressed counts, unknown
    accommodation types, totals that do not add up) and ``meta`` (month and
    where it came from, sheet, header row, layout, encoding, rows, people).
    """
    settings = settings or Settings()
    path = Path(path)
    prof = load_profile(profile, fields=[*SYNONYMS], options=PROFILE_OPTIONS) or Profile()
    sheets = read_sheets(path, sheet or prof.sheet)
    raw, header_index = choose_sheet_for(sheets, SYNONYMS, REQUIRED, prof)
    table = raw.table(header_index)
    columns = map_columns(table.header, SYNONYMS, prof.columns)
    log = table.log()
    _check_profile_columns(log, table, columns, prof)
    refuse_ambiguous(log, table, columns, prefer={"local_authority": "code"})
    if "postcode_sector" not in columns.columns:
        log.refuse(
            f"the header row (row {table.header_row}) has no postcode sector column; the columns are: "
            + ", ".join(f"'{h}'" for h in table.header if h)
            + ". The names accepted are "
            + describe_accepted(SYNONYMS, ["postcode_sector"]),
            row=table.header_row,
            code="missing_column",
        )
    log.raise_if_refused()

    sector_pos = columns.columns["postcode_sector"]
    la_pos = columns.columns.get("local_authority")
    table, footer = cut_footer(table, [0, sector_pos] + ([la_pos] if la_pos is not None else []))
    if table.cells.empty:
        stated = f" (only total rows: {row_list([t.row for t in footer.totals])})" if footer.totals else ""
        raise InputRefused(
            [
                Problem(
                    f"there are no data rows under the header (row {table.header_row}){stated}",
                    table.file,
                    table.sheet,
                    code="empty",
                )
            ]
        )
    if la_pos is not None:
        _fill_blocks(table, footer, la_pos)
    categories, layout = _layout(table, columns, prof, log)
    log.raise_if_refused()

    base = _row_fields(table, columns, log)
    checks: dict[int, tuple[str, pd.Series, pd.Series]] = {}
    group_row = raw.head[header_index - 1] if header_index > 0 else []
    if layout == "wide":
        frame, suppressed_rows = _melt(table, columns, categories, base, prof, log, settings, checks, group_row)
    else:
        frame, suppressed_rows = _long_counts(table, columns, base, log, settings, checks)
    _warn_unused(log, table, columns, categories if layout == "wide" else [])
    found_totals = []
    if not log.refusals:
        found_totals = stated_totals(log, footer, checks, low=settings.suppressed_low, high=settings.suppressed_high)
    the_month, month_meta = _resolve_month(log, table, raw.title_lines(header_index), path, month, prof, columns)
    log.raise_if_refused()

    _warn_suppressed(log, frame, suppressed_rows, settings)
    frame["month"] = the_month
    frame["sheet"] = table.sheet
    result = conform(frame, HOME_OFFICE_COLUMNS)
    meta = {
        "month": the_month,
        **month_meta,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "layout": layout,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "rows": len(result),
        "people": float(result["people"].sum()),
        "suppressed": int(result["suppressed"].sum()),
        "columns": {name: table.column_name(pos) for name, pos in columns.columns.items()},
        "total_row": footer.total_row,
        "stated_total": _stated(found_totals, table, columns),
        "loaded_total": float(result["people"].sum()),
        "blocks": found_totals,
        "total_rows": [t.row for t in footer.totals],
    }
    if layout == "wide":
        meta["category"] = frame.attrs.get("category")
    return ReadResult(result, log.warnings, meta)


def _stated(found: list[dict], table: Table, columns: ColumnMap) -> float | None:
    """The people the file itself states in all: its people/Total column's total, else its count columns'."""
    if "people" in columns.columns:
        figure = stated_overall(found, table.column_name(columns.columns["people"]))
        if figure is not None:
            return figure
    names = {f["column"] for f in found}
    figures = [stated_overall(found, name) for name in names]
    return float(sum(figures)) if figures and None not in figures else None


def _fill_blocks(table: Table, footer: Footer, position: int) -> None:
    """A pivot-style block ("Leeds" on its first row, blanks below, then "Leeds Total") gives its LA to every row."""
    cells = table.cells
    for total in footer.totals:
        name = block_label(total.label)
        if not name or total.overall:
            continue
        rows = cells.index.intersection(total.covers)
        written = cells.loc[rows, position]
        if set(written[written.ne("")]) <= {name} and written.eq("").any():
            cells.loc[rows, position] = name


def _warn_unused(log: ProblemLog, table: Table, columns: ColumnMap, categories: list[int]) -> None:
    """Columns the reader cannot place are named, so that nothing is dropped without a word."""
    unused = [
        p
        for p in columns.unmapped
        if p not in categories
        and table.header[p]
        and not any(p in positions for positions in columns.ambiguous.values())
    ]
    if unused:
        names = ", ".join(f"'{table.column_name(p)}'" for p in unused)
        log.warn(
            f"{'these columns are' if len(unused) > 1 else 'this column is'} not loaded, because the reader does "
            f"not know what {'they hold' if len(unused) > 1 else 'it holds'}: {names}. Name "
            f"{'them' if len(unused) > 1 else 'it'} in a mapping profile (--profile) if they matter",
            row=table.header_row,
            code="unused_column",
        )


def _check_profile_columns(log: ProblemLog, table: Table, columns: ColumnMap, prof: Profile) -> None:
    found = ", ".join(f"'{h}'" for h in table.header if h)
    for canonical, name in columns.missing_from_profile.items():
        log.refuse(
            f"the profile {prof.source} names column '{name}' for {canonical.replace('_', ' ')}, but the "
            f"header row (row {table.header_row}) has no such column; the columns are: {found}",
            row=table.header_row,
            code="missing_column",
        )


# --- layout ---------------------------------------------------------------------------------------


def _count_like(values: pd.Series) -> bool:
    sample = values.iloc[:500]
    sample = sample[sample.ne("")]
    if sample.empty:
        return False
    counts = parse_counts(sample, suppressed_value=0.0)
    numeric = pd.to_numeric(sample.str.replace(",", "", regex=False), errors="coerce").notna()
    return bool((counts.problem.isna() | numeric).mean() >= 0.8)


def _layout(table: Table, columns: ColumnMap, prof: Profile, log: ProblemLog) -> tuple[list[int], str]:
    wanted = prof.options.get("layout")
    if wanted not in (None, "long", "wide"):
        log.refuse(f"the profile {prof.source} says layout = '{wanted}'; use 'long' or 'wide'", code="profile")
        return [], "long"
    candidates = [p for p in columns.unmapped if table.header[p] and header_key(table.header[p]) not in _NOT_CATEGORY]
    categories = [p for p in candidates if _count_like(table.cells[p])]
    has_people = "people" in columns.columns
    wide = wanted == "wide" or (wanted is None and len(categories) >= 2)
    if wide and not categories:
        log.refuse(
            "the profile asks for the wide layout, but no column of counts per category was found",
            code="missing_column",
        )
    if not wide and not has_people:
        found = ", ".join(f"'{h}'" for h in table.header if h)
        log.refuse(
            f"no column with the number of people was found in the header row (row {table.header_row}); the "
            f"columns are: {found}. The names accepted are {describe_accepted(SYNONYMS, ['people'])}; "
            "a wide layout needs one count column per category (e.g. per nationality or age band). "
            "Name the columns in a mapping profile (--profile) if they differ.",
            row=table.header_row,
            code="missing_column",
        )
    return categories, "wide" if wide else "long"


def _age_band_of_label(text: str) -> str | None:
    match = _AGE_BAND.match(re.sub(r"\s+", " ", str(text).replace("\u00a0", " ")).strip().lower())
    if not match:
        return None
    low, high, plus, under = match.groups()
    if plus:
        return f"{int(plus)}+"
    if under:
        return f"0-{int(under) - 1}"
    return f"{int(low)}-{int(high)}"


def _category_of(name: str) -> str | None:
    key = vocabulary.word_key(name)
    if key in _NEUTRAL:
        return None
    if _age_band_of_label(name) or vocabulary.age_group_of(name):
        return "age_band"
    if key in _GENDER_WORDS or (len(key) > 1 and vocabulary.gender_of(name) in ("Male", "Female")):
        return "gender"
    if key in _HOUSEHOLD_WORDS or (len(key) > 1 and vocabulary.household_of(name)):
        return "household_type"
    if vocabulary.accommodation_type(name):
        return "accommodation_type"
    return "nationality"


def _category_field(table: Table, categories: list[int], prof: Profile, log: ProblemLog) -> str | None:
    wanted = prof.options.get("category")
    if wanted is not None:
        if wanted not in CATEGORY_FIELDS:
            log.refuse(
                f"the profile {prof.source} says category = '{wanted}'; use one of " + ", ".join(CATEGORY_FIELDS),
                code="profile",
            )
            return None
        return str(wanted)
    kinds: dict[str, list[str]] = {}
    for position in categories:
        kind = _category_of(table.header[position])
        if kind:
            kinds.setdefault(kind, []).append(table.header[position])
    if len(kinds) > 1:
        described = "; ".join(f"{k.replace('_', ' ')} ({', '.join(v[:4])})" for k, v in kinds.items())
        log.refuse(
            f"the count columns mix different breakdowns: {described}. A cross-tabulation cannot be read as "
            "one table: send one breakdown per sheet, or name it in a profile (option category).",
            row=table.header_row,
            code="layout",
        )
        return None
    return next(iter(kinds), "nationality")


# --- fields of each row ---------------------------------------------------------------------------


def _row_fields(table: Table, columns: ColumnMap, log: ProblemLog) -> pd.DataFrame:
    """The per-row descriptive fields (everything but the counts), indexed by row number."""
    cells, cols = table.cells, columns.columns
    base = pd.DataFrame(index=cells.index)
    sector_name = table.column_name(cols["postcode_sector"])
    sectors, reasons = normalise_sectors(clean_text(cells[cols["postcode_sector"]]))
    refuse_rows(log, reasons, sector_name, code="bad_sector")
    base["postcode_sector"] = sectors
    if "local_authority" in cols:
        base["local_authority"] = clean_text(cells[cols["local_authority"]])
    vocab = {
        "nationality": (vocabulary.nationality, "a country the reader knows"),
        "support_type": (vocabulary.support_type, "Section 95, Section 4 or Section 98"),
        "gender": (vocabulary.gender_of, "male, female or unknown"),
        "household_type": (vocabulary.household_of, "single, family, main applicant or dependant"),
        "age_band": (_age_band_of_label, "an age band such as 18-24 or 50+"),
    }
    for name, (normalise, known) in vocab.items():
        if name in cols:
            base[name] = _vocabulary(
                cells[cols[name]], normalise, log, table.column_name(cols[name]), field_label(name), known
            )
    if "accommodation_type" in cols:
        base["accommodation_type"] = _accommodation(
            cells[cols["accommodation_type"]], log, table.column_name(cols["accommodation_type"])
        )
    elif "age" in cols:
        base["age_band"] = _band_ages(cells[cols["age"]], log, table.column_name(cols["age"]))
    if "uasc" in cols:
        base["uasc"] = _uasc(cells[cols["uasc"]], log, table.column_name(cols["uasc"]))
    return base


def _vocabulary(values: pd.Series, normalise, log: ProblemLog, column: str, what: str, known: str) -> pd.Series:
    """One spelling per value; a value the vocabulary cannot place is kept as written and counted in a note."""
    mapped, unknown = vocabulary.map_values(
        values, lambda v: normalise(v) or _age_group(what, v), keep_unknown=vocabulary.as_written
    )
    if unknown:
        text = clean_text(values)
        counted = ", ".join(f"'{u}' ({int(text.eq(vocabulary.as_written(u)).sum())} rows)" for u in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        log.warn(
            f"{len(unknown)} {what} value{'s are' if len(unknown) > 1 else ' is'} not {known}: {counted}{more}; "
            "kept as written, not mapped to another value",
            column=column,
            code=f"unknown_{what.replace(' ', '_')}",
        )
    return mapped


def _age_group(what: str, value: str) -> str | None:
    return vocabulary.age_group_of(value) if what == "age band" else None


def _accommodation(values: pd.Series, log: ProblemLog, column: str) -> pd.Series:
    mapped, unknown = vocabulary.map_values(values, vocabulary.accommodation_type)
    if unknown:
        log.warn(
            f"accommodation type {', '.join(repr(u) for u in unknown)} is not one of "
            f"{', '.join(ACCOMMODATION_TYPES)}; kept as written (in lower case) and not counted as dispersal",
            column=column,
            code="unknown_accommodation",
        )
    return mapped


def _band_ages(values: pd.Series, log: ProblemLog, column: str) -> pd.Series:
    text = clean_text(values)
    age = pd.to_numeric(text.astype(object), errors="coerce")
    bad = text.notna() & (age.isna() | age.lt(0) | age.gt(120) | age.mod(1).ne(0))
    refuse_rows(log, ("'" + text[bad] + "' is not an age in whole years").reindex(values.index), column, code="bad_age")
    bands = pd.cut(age.where(~bad), bins=[0, 5, 18, 25, 35, 50, float("inf")], right=False, labels=list(AGE_BANDS))
    return bands.astype("string")


def _uasc(values: pd.Series, log: ProblemLog, column: str) -> pd.Series:
    mapped, unknown = vocabulary.map_values(values, vocabulary.yes_no, keep_unknown=None)
    if unknown:
        log.warn(
            f"UASC values {', '.join(repr(u) for u in unknown)} are not yes/no; loaded as not given",
            column=column,
            code="unknown_uasc",
        )
    return mapped.astype("boolean")


# --- counts ---------------------------------------------------------------------------------------


def _long_counts(
    table: Table, columns: ColumnMap, base: pd.DataFrame, log: ProblemLog, settings: Settings, checks: dict
) -> tuple[pd.DataFrame, list[int]]:
    position = columns.columns["people"]
    name = table.column_name(position)
    counts = parse_counts(table.cells[position], suppressed_value=settings.suppressed_estimate)
    problems = counts.problem.mask(counts.blank, "the number of people is empty")
    refuse_rows(log, problems, name, code="bad_count")
    frame = base.copy()
    frame["people"] = counts.value
    frame["suppressed"] = counts.suppressed
    frame["people_as_written"] = table.cells[position].where(counts.suppressed)
    frame["source_row"] = frame.index
    checks[position] = (name, counts.value.where(~counts.suppressed, 0), counts.suppressed.astype(int))
    return frame, list(frame.index[counts.suppressed])


def _groups_over(table: Table, categories: list[int], group_row: list[str], field: str) -> tuple[str, dict] | None:
    """A second header row above the categories ("Male" over the age bands, "Female" over the next): its field
    and the group of each category column, carried right over blank (merged) cells; None when there is none."""
    if not group_row:
        return None
    groups, current = {}, None
    for position in range(min(categories), max(categories) + 1):
        cell = group_row[position].strip() if position < len(group_row) else ""
        current = cell or current
        if position in categories:
            groups[position] = current
    values = {v for v in groups.values() if v}
    if len(values) < 2 or any(v is None for v in groups.values()):
        return None
    kinds = {_category_of(v) for v in values}
    if len(kinds) != 1 or None in kinds or field in kinds:
        return None
    return kinds.pop(), groups


def _melt(
    table: Table,
    columns: ColumnMap,
    categories: list[int],
    base: pd.DataFrame,
    prof: Profile,
    log: ProblemLog,
    settings: Settings,
    checks: dict,
    group_row: list[str],
) -> tuple[pd.DataFrame, list[int]]:
    field = _category_field(table, categories, prof, log) or "nationality"
    grouped = _groups_over(table, categories, group_row, field)
    parts, suppressed_rows = [], []
    row_known = pd.Series(0.0, index=table.cells.index)
    row_suppressed = pd.Series(0, index=table.cells.index)
    row_bad = pd.Series(False, index=table.cells.index)
    for position in categories:
        name = table.column_name(position)
        counts = parse_counts(table.cells[position], suppressed_value=settings.suppressed_estimate)
        refuse_rows(log, counts.problem, name, code="bad_count")
        row_bad |= counts.problem.notna()
        row_known += counts.value.where(~counts.suppressed, 0).fillna(0)
        row_suppressed += counts.suppressed.astype(int)
        keep = counts.problem.isna() & ~counts.blank & (counts.value.ne(0) | counts.suppressed)
        label = (_age_band_of_label(name) or vocabulary.age_group_of(name)) if field == "age_band" else name
        part = pd.DataFrame(
            {
                "source_row": table.cells.index[keep],
                "people": counts.value[keep].to_numpy(),
                "suppressed": counts.suppressed[keep].to_numpy(),
                "people_as_written": table.cells[position][keep].where(counts.suppressed[keep]).to_numpy(),
                "_category": label or name,
                "_order": position,
                "_group": grouped[1][position] if grouped else None,
            }
        )
        parts.append(part)
        suppressed_rows += list(part["source_row"][part["suppressed"]])
        label_name = f"{grouped[1][position]} {name}" if grouped else name
        checks[position] = (
            label_name,
            counts.value.where(~counts.suppressed, 0).fillna(0),
            counts.suppressed.astype(int),
        )
    if "people" in columns.columns:
        _check_row_totals(log, table, columns.columns["people"], row_known, row_suppressed, row_bad, settings)
        checks[columns.columns["people"]] = (table.column_name(columns.columns["people"]), row_known, row_suppressed)
    long = pd.concat(parts, ignore_index=True).sort_values(["source_row", "_order"], kind="stable")
    drop = [field] + ([grouped[0]] if grouped else [])
    frame = base.drop(columns=drop, errors="ignore").loc[long["source_row"]].reset_index(drop=True)
    for column in ("source_row", "people", "suppressed", "people_as_written"):
        frame[column] = long[column].to_numpy()
    for target, values in [(field, long["_category"].to_numpy())] + (
        [(grouped[0], long["_group"].to_numpy())] if grouped else []
    ):
        frame[target] = _category_values(target, values, log)
    frame.attrs["category"] = field if not grouped else f"{grouped[0]} and {field}"
    return frame, sorted(set(suppressed_rows))


def _category_values(field: str, values, log: ProblemLog) -> list:
    if field == "accommodation_type":
        return list(_accommodation(pd.Series(values), log, "column headers").to_numpy())
    if field == "gender":
        return [vocabulary.gender(c) for c in values]
    if field == "household_type":
        return [vocabulary.household_type(c) for c in values]
    if field == "nationality":
        return [vocabulary.nationality(c) or vocabulary.as_written(c) for c in values]
    return list(values)


def _check_row_totals(
    log: ProblemLog,
    table: Table,
    position: int,
    known: pd.Series,
    n_suppressed: pd.Series,
    bad: pd.Series,
    settings: Settings,
) -> None:
    stated = parse_counts(table.cells[position], suppressed_value=0.0)
    usable = stated.problem.isna() & ~stated.blank & ~stated.suppressed & ~bad
    low = known + n_suppressed * settings.suppressed_low
    high = known + n_suppressed * settings.suppressed_high
    wrong = usable & ((stated.value < low - 1e-9) | (stated.value > high + 1e-9))
    if wrong.any():
        log.warn(
            f"the '{table.column_name(position)}' column does not equal the sum of the categories in "
            f"{row_list(wrong.index[wrong])}; the categories were loaded",
            column=table.column_name(position),
            code="total_mismatch",
        )


def _warn_suppressed(log: ProblemLog, frame: pd.DataFrame, rows: list[int], settings: Settings) -> None:
    if not rows:
        return
    n = int(frame["suppressed"].sum())
    markers = ", ".join(f"'{m}'" for m in frame.loc[frame["suppressed"], "people_as_written"].unique()[:6])
    log.warn(
        f"{n} suppressed count{'s' if n != 1 else ''} ({markers}) in {row_list(rows, first=5)}: loaded as "
        f"{settings.suppressed_estimate:g} people each (the true number is between {settings.suppressed_low:g} "
        f"and {settings.suppressed_high:g}), never as 0",
        code="suppressed",
    )


# --- the month ------------------------------------------------------------------------------------


def _resolve_month(
    log: ProblemLog,
    table: Table,
    titles: list[str],
    path: Path,
    argument: str | None,
    prof: Profile,
    columns: ColumnMap,
) -> tuple[str | None, dict]:
    """The month of the data; every source that names one must agree."""
    sources: list[tuple[str, str, str]] = []  # (kind, description, month)
    user = parse_month(argument) if argument else None
    if "month" in columns.columns:
        found = _month_from_column(log, table, columns.columns["month"], user)
        if found:
            sources.append(("column", f"the '{table.column_name(columns.columns['month'])}' column", found))
    sources += titled_and_named(log, titles, path, "month", _title_months, months_in, settled=user)
    for kind, value in (("argument", argument), ("profile", prof.options.get("month"))):
        if value is None or value == "":
            continue
        parsed = parse_month(value)
        if parsed is None:
            where = "--month" if kind == "argument" else f"the profile {prof.source}"
            log.refuse(f"{where} '{value}' is not a month; write it as YYYY-MM, e.g. 2025-03", code="month")
        else:
            label = f"--month {value}" if kind == "argument" else f"the profile {prof.source}"
            sources.append((kind, label, parsed))
    months = {m for _, _, m in sources}
    if len(months) > 1:
        listed = "; ".join(f"{desc} says {m}" for _, desc, m in sources)
        log.refuse(
            f"the month is unclear: {listed}. Correct the file (or its name), or give the right --month, "
            "so that they agree",
            code="month",
        )
        return None, {}
    if not months:
        if not log.refusals or all(p.code != "month" for p in log.refusals):
            log.refuse(
                "the month of the data is not in the file (no month column, no title such as 'Position as at "
                "31 March 2025', no month in the file name): give it with --month YYYY-MM",
                code="month",
            )
        return None, {}
    return months.pop(), {"month_source": sources[0][0], "month_sources": [kind for kind, _, _ in sources]}


_POSITION_WORDS = re.compile(r"\b(as at|as of|position|snapshot|period|month|for)\b", re.I)


def _title_months(line: str) -> list[str]:
    """The months a title line gives for the data: a date that follows "Extract date", "Report run",
    "Produced on"... dates the extract, not the data, unless a position word ("as at") stands nearer before it."""
    if not _TITLE_NOT_PERIOD.search(line):
        return months_in(line)
    kept = []
    for start, month in months_at(line):
        before = line[:start]
        extract = [m.end() for m in _TITLE_NOT_PERIOD.finditer(before)]
        position = [m.end() for m in _POSITION_WORDS.finditer(before)]
        if position and (not extract or position[-1] > extract[-1]):
            kept.append(month)
    return kept


def _month_from_column(log: ProblemLog, table: Table, position: int, user: str | None = None) -> str | None:
    """The one month of a month/date column. Values that are no month refuse the file, unless the user gave
    ``--month``: then they are named in a note and the user's month is used."""
    name = table.column_name(position)
    values = clean_text(table.cells[position])
    if values.isna().all():
        return None
    months: dict[str, list[int]] = {}
    unread: dict[str, list[int]] = {}
    for value in values.dropna().unique():
        rows = values.index[values.eq(value).fillna(False)]
        found = parse_month(value)
        if found is None:
            unread[value] = [int(r) for r in rows]
        else:
            months.setdefault(found, []).extend(int(r) for r in rows)
    if unread and user:
        listed = ", ".join(f"'{v}' ({row_ranges(r)})" for v, r in list(unread.items())[:5])
        log.warn(
            f"the column holds values that are not months or dates: {listed}; the month given with --month "
            f"({user}) is used",
            column=name,
            code="month",
        )
        unread = {}
    for value, rows in unread.items():
        log.refuse(
            f"'{value}' is not a month or a date ({row_ranges(rows)}); give the month with --month YYYY-MM",
            row=rows[0],
            column=name,
            code="month",
        )
    if len(months) > 1:
        listed = "; ".join(f"{m} in {row_list(sorted(r), first=3)}" for m, r in sorted(months.items()))
        log.refuse(
            f"the rows are not all for the same month ({listed}); send one month per file", column=name, code="month"
        )
        return None
    return next(iter(months), None)
