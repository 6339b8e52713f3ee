"""Reading the messy spreadsheets and CSV files that arrive by e-mail.

Readers for each kind of file (Home Office monthly data, provider property
lists, published statistics) share the same steps, which live here:

1. :func:`read_sheets` opens a workbook (``.xlsx``, ``.xlsm``, ``.xlsb``,
   ``.xls``, ``.ods``, via python-calamine) or a text file (``.csv``, ``.txt``,
   ``.tsv``; UTF-8, UTF-8 with BOM, UTF-16 with BOM, else Windows-1252; comma,
   semicolon, tab or pipe delimited) and returns one :class:`RawSheet` per sheet,
   every cell as the officer sees it (``12.0`` -> ``"12"``, a date -> ``"2025-03-31"``).
2. :func:`choose_sheet` picks the sheet and its header row with :func:`find_header`:
   the row, among the first :data:`HEAD_ROWS`, that names the most known columns
   (banner lines such as "OFFICIAL-SENSITIVE", titles and blank rows above are skipped).
3. :meth:`RawSheet.table` gives the rows under the header as a :class:`Table` of
   strings indexed by the row number the officer sees (Excel row, or text line).
4. :func:`map_columns` names the columns (a profile first, then synonyms).
5. :func:`cut_footer` takes out every "Total"/"Subtotal"/"Grand total" row (each
   ends a block, never the sheet), notes, section headings and blank rows;
   :func:`stated_totals` then checks each stated figure against the rows it sums.
6. :func:`parse_counts` reads count cells, including suppressed markers.

Anything that stops a file is raised as :class:`~app.problems.InputRefused`
with a message naming the file, sheet, row and column in plain words. Text
files are parsed by pandas' C parser once the header is found, so a
75,000-row CSV takes well under a second.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from app.distinct import per_distinct
from app.problems import InputRefused, Problem, ProblemLog
from app.readers.archive import ArchiveLimits, check_workbook_archive

#: How many rows from the top are searched for the header row.
HEAD_ROWS = 30
#: Individual row problems listed per kind before the rest are summarised.
MAX_ROW_PROBLEMS = 100

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_ZIP = b"PK\x03\x04"
_OLE = bytes.fromhex("D0CF11E0A1B11AE1")
_DELIMITERS = (",", ";", "\t", "|")

#: Cells that stand for a count withheld to protect privacy. Never zero.
SUPPRESSED_MARKERS = frozenset({"*", "**", "c", "[c]", "x", "[x]", "-", "\u2013", "\u2014", "..", "z", "[z]", "~"})
_SUPPRESSED_LESS_THAN = r"<\s*=?\s*\d+"
_TOTAL_LABEL = re.compile(
    r"^(grand\s+|sub\s*-?\s*)?totals?\b|^overall\s+total|^sum$|^all\s+(sectors|areas|properties)$"
    r"|^[^\d]{2,60}\btotals?$"
)
#: A section heading on a line of its own ("Local Authority: Leeds", "Area: Bradford").
_HEADING = re.compile(r"^[a-z][a-z /&()'-]{1,40}:\s*\S.{0,80}$")
_NOTE_LABEL = re.compile(
    r"^(notes?\b|source|nb\b|n\.b|footnote|please|key\b|\*|\u2020|\[|\(|[cxz]\s*=|figures|counts?\b"
    r"|suppress|prepared|produced|generated|end of|official)"
)


def refuse(file: str, message: str, *, sheet: str | None = None, code: str = "unreadable") -> InputRefused:
    """A one-reason refusal for the whole file."""
    return InputRefused([Problem(message, file=file, sheet=sheet, code=code)])


def header_key(text: object) -> str:
    """How header names are compared: case, spacing (NBSP too) and punctuation ignored."""
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKC", str(text)).casefold())


def display(value: object) -> str:
    """A cell value as the officer sees it: whole numbers without ``.0``, dates as ISO dates."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Table:
    """The rows under a header row: every cell a stripped string, ``""`` when empty.

    ``cells`` has one column per header position (0, 1, 2...) and is indexed
    by the row number the officer sees.
    """

    file: str
    sheet: str | None
    header: list[str]
    header_row: int
    cells: pd.DataFrame

    def column_name(self, position: int) -> str:
        """The header as written, or the column letter when the header cell is blank."""
        name = self.header[position] if position < len(self.header) else ""
        return name or f"column {column_letter(position)}"

    def log(self) -> ProblemLog:
        return ProblemLog(self.file, self.sheet)

    def drop(self, mask: pd.Series) -> Table:
        return Table(self.file, self.sheet, self.header, self.header_row, self.cells[~mask])


@dataclass
class RawSheet:
    """One sheet of a workbook, or a whole text file, before its header is known.

    ``name`` is None for text files. ``rows`` are all rows as displayed
    strings (loaded on first use); ``head`` only the first :data:`HEAD_ROWS`,
    which is all that header and title detection need.
    """

    file: str
    name: str | None
    load: Callable[[], list[list[object]]] | None = None
    text: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    visible: bool = True

    @cached_property
    def rows(self) -> list[list[str]]:
        if self.text is not None:
            return [
                [cell.strip() for cell in row]
                for row in csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
            ]
        try:
            raw = self.load() if self.load else []
        except Exception as error:
            raise refuse(self.file, f"this sheet cannot be read ({_plain(error)})", sheet=self.name) from None
        return [[display(cell).strip() for cell in row] for row in raw]

    @cached_property
    def head(self) -> list[list[str]]:
        if self.text is not None and "rows" not in self.__dict__:
            lines = self.text.splitlines()[: HEAD_ROWS * 2]
            return [
                [cell.strip() for cell in row]
                for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=self.delimiter)
            ][:HEAD_ROWS]
        return self.rows[:HEAD_ROWS]

    def title_lines(self, header_index: int) -> list[str]:
        """The non-blank lines above the header row, each row's cells joined by spaces."""
        lines = (" ".join(c for c in row if c) for row in self.head[:header_index])
        return [line for line in lines if line.strip()]

    def table(self, header_index: int) -> Table:
        """The rows below ``header_index`` (0-based position in :attr:`head`/:attr:`rows`)."""
        header = [unicodedata.normalize("NFKC", c).strip() for c in self.head[header_index]]
        while header and not header[-1]:
            header.pop()
        width = max(len(header), 1)
        if self.text is not None and "rows" not in self.__dict__:
            cells = self._read_text_body(header_index, width)
        else:
            body = [row[:width] + [""] * (width - len(row)) for row in self.rows[header_index + 1 :]]
            cells = (
                pd.DataFrame(body, columns=range(width), dtype=object)
                if body
                else pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
            )
        cells.index = pd.RangeIndex(header_index + 2, header_index + 2 + len(cells))
        return Table(self.file, self.name, header, header_index + 1, cells)

    def _read_text_body(self, header_index: int, width: int) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                frame = pd.read_csv(
                    io.StringIO(self.text),
                    sep=self.delimiter,
                    header=None,
                    names=range(width),
                    skiprows=header_index + 1,
                    dtype=str,
                    na_filter=False,
                    skip_blank_lines=False,
                    index_col=False,
                    engine="c",
                )
            except Exception:
                return self.table_from_rows(header_index, width)
        frame = frame.fillna("")
        for column in frame.columns:
            frame[column] = per_distinct(frame[column], lambda distinct: distinct.str.strip())
        return frame

    def table_from_rows(self, header_index: int, width: int) -> pd.DataFrame:
        body = [row[:width] + [""] * (width - len(row)) for row in self.rows[header_index + 1 :]]
        return pd.DataFrame(body, columns=range(width), dtype=object)


def _plain(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-16 (with BOM), UTF-8 (with or without BOM), else Windows-1252.

    Raises :class:`UnicodeDecodeError` when the bytes are none of these (damaged UTF-16, or bytes that
    Windows-1252 leaves undefined)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252"), "cp1252"


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the most sample lines into the same number (>1) of fields."""
    lines = [line for line in text.splitlines()[: HEAD_ROWS * 3] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_sheets(path: str | Path, sheet: str | None = None, *, limits: ArchiveLimits | None = None) -> list[RawSheet]:
    """Every sheet of a workbook (or the one named), or the single "sheet" of a text file.

    The kind of file is decided by its content first and its name second, so a
    renamed file is still read. Raises :class:`InputRefused` for a missing,
    empty, damaged, password-protected or unsupported file, and for a workbook too big to open
    safely (see :mod:`app.readers.archive`; ``limits`` default to :meth:`ArchiveLimits.from_env`).
    """
    path = Path(path)
    file = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise refuse(file, "the file does not exist", code="missing")
    with path.open("rb") as fh:
        start = fh.read(8)
    if not start:
        raise refuse(file, "the file is empty (0 bytes)", code="empty")
    if start.startswith(_ZIP) or start.startswith(_OLE) or suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(path, start, sheet, limits)
    if suffix in TEXT_SUFFIXES:
        return [_read_text(path)]
    kind = f"'{suffix}' files" if suffix else "files without an extension"
    raise refuse(
        file, f"{kind} cannot be read: save it as an Excel workbook (.xlsx) or as CSV (.csv)", code="unsupported"
    )


def _read_text(path: Path) -> RawSheet:
    file = path.name
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse(file, "this is not a text file (it contains binary data); save it as CSV", code="unsupported")
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as error:
        raise refuse(
            file,
            f"the text cannot be read: byte {error.start + 1} is not UTF-8, UTF-16 or Windows-1252 "
            "text (the file is damaged or not a CSV file); save it again as 'CSV UTF-8'",
            code="encoding",
        ) from None
    if not text.strip():
        raise refuse(file, "the file has no data (it is blank)", code="empty")
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise refuse(
            file,
            "this is a web page, not a CSV file; open it in Excel and save it as .xlsx or .csv",
            code="unsupported",
        )
    return RawSheet(file, None, text=text, encoding=encoding, delimiter=detect_delimiter(text))


def _read_workbook(path: Path, start: bytes, sheet: str | None, limits: ArchiveLimits | None) -> list[RawSheet]:
    from app.readers.sandbox import PasswordProtected as PasswordError
    from app.readers.sandbox import open_workbook

    file = path.name
    if start.startswith(_OLE) and "EncryptedPackage".encode("utf-16-le") in path.read_bytes()[: 1 << 20]:
        raise refuse(
            file, "the workbook is protected by a password: remove the password and send it again", code="password"
        )
    if not (start.startswith(_ZIP) or start.startswith(_OLE)):
        head = path.read_bytes()[:512].lstrip().lower()
        what = "a web page" if head.startswith((b"<!doctype html", b"<html")) else "text or another kind of file"
        raise refuse(
            file,
            f"the file is named '{path.suffix}' but is not an Excel workbook (it is {what}); "
            "open it in Excel and save it as .xlsx",
            code="corrupt",
        )
    if start.startswith(_ZIP):
        check_workbook_archive(path, limits)
    try:
        book = open_workbook(path, limits)  # parsed in a separate process with memory and time limits
        metadata = {m.name: m for m in book.sheets_metadata}
    except InputRefused:
        raise
    except PasswordError:
        raise refuse(
            file, "the workbook is protected by a password: remove the password and send it again", code="password"
        ) from None
    except Exception as error:
        raise refuse(
            file,
            f"the workbook cannot be opened: it is damaged or not really an Excel file ({_plain(error)})",
            code="corrupt",
        ) from None
    names = list(book.sheet_names)
    if not names:
        raise refuse(file, "the workbook has no sheets", code="empty")
    if sheet is not None:
        names = [resolve_sheet_name(file, names, sheet)]

    def loader(name: str) -> Callable[[], list[list[object]]]:
        def load() -> list[list[object]]:
            found = book.get_sheet_by_name(name)
            rows = found.to_python(skip_empty_area=False)
            if start.startswith(_ZIP):
                rows = fill_errors(rows, error_cells(path, name))
            return fill_merged(rows, getattr(found, "merged_cell_ranges", None))

        return load

    return [
        RawSheet(
            file,
            name,
            load=loader(name),
            visible=str(getattr(metadata.get(name), "visible", "Visible")).endswith("Visible"),
        )
        for name in names
    ]


_ERROR_TAG = re.compile(rb'<(?:\w+:)?c\b[^>]*\bt="e"[^>]*>')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{1,30})</(?:\w+:)?v>")


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Cells of an .xlsx sheet that hold an Excel error (``#N/A``, ``#REF!``...), by (row, column) from 0.

    The workbook library reads them as empty; an officer sees the error, and a message must say so."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels")
            quoted = re.escape(
                sheet.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").encode()
            )
            found = re.search(rb'<(?:\w+:)?sheet\b[^>]*\bname="' + quoted + rb'"[^>]*>', book)
            rid = re.search(rb'\br:id="([^"]+)"', found.group(0)) if found else None
            target = (
                re.search(rb'<Relationship\b[^>]*\bId="' + re.escape(rid.group(1)) + rb'"[^>]*>', rels) if rid else None
            )
            where = re.search(rb'\bTarget="([^"]+)"', target.group(0)) if target else None
            if not where:
                return {}
            member = where.group(1).decode().lstrip("/")
            member = member if member.startswith("xl/") else f"xl/{member}"
            xml = archive.read(member)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError, RuntimeError):
        return {}
    cells = {}
    for tag in _ERROR_TAG.finditer(xml):
        ref = _CELL_REF.search(tag.group(0))
        value = _VALUE.search(xml, tag.end(), tag.end() + 2000)
        if not ref or not value:
            continue
        column = 0
        for letter in ref.group(1).decode():
            column = column * 26 + ord(letter) - 64
        cells[(int(ref.group(2)) - 1, column - 1)] = value.group(1).decode(errors="replace")
    return cells


def fill_errors(rows: list[list[object]], errors: dict[tuple[int, int], str]) -> list[list[object]]:
    """The error text (``#N/A``) in cells the workbook library left empty."""
    for (r, c), text in errors.items():
        if r < len(rows) and c < len(rows[r]) and rows[r][c] in ("", None):
            rows[r][c] = text
    return rows


#: Excel's error values: a formula that could not be worked out, never a count or a blank.
EXCEL_ERRORS = frozenset(
    {
        "#n/a",
        "#ref!",
        "#value!",
        "#div/0!",
        "#name?",
        "#num!",
        "#null!",
        "#spill!",
        "#calc!",
        "#getting_data",
        "#field!",
        "#blocked!",
        "#connect!",
        "#busy!",
        "#unknown!",
    }
)


def fill_merged(rows: list[list[object]], ranges) -> list[list[object]]:
    """Text of a merged cell written into every cell of the range, as the officer sees it.

    Numbers are left in the first cell only: a count merged over three rows is one count, not three.
    """
    for (top, left), (bottom, right) in ranges or ():
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        if not isinstance(value, str) or not value.strip():
            continue
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= right:
                row.extend([""] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                if row[c] in ("", None):
                    row[c] = value
    return rows


def resolve_sheet_name(file: str, names: list[str], wanted: str) -> str:
    """The sheet the user named, compared without case or surrounding spaces."""
    for name in names:
        if name == wanted:
            return name
    for name in names:
        if name.strip().casefold() == str(wanted).strip().casefold():
            return name
    listed = ", ".join(f"'{n}'" for n in names)
    raise refuse(file, f"there is no sheet named '{wanted}'; the sheets are: {listed}", code="sheet")


# --- headers and columns -------------------------------------------------------------------------

Synonyms = Mapping[str, Iterable[str]]


def with_profile(synonyms: Synonyms, profile_columns: Mapping[str, str | list[str]] | None) -> dict[str, list[str]]:
    """Synonyms extended with the names a profile gives, so that header detection finds them too."""
    merged = {canonical: list(names) for canonical, names in synonyms.items()}
    for canonical, names in (profile_columns or {}).items():
        extra = [names] if isinstance(names, str) else list(names)
        merged[canonical] = extra + [n for n in merged.get(canonical, []) if n not in extra]
    return merged


def synonym_index(synonyms: Synonyms) -> dict[str, str]:
    """header key -> canonical field (the first field wins when two list the same name)."""
    index: dict[str, str] = {}
    for canonical, names in synonyms.items():
        for name in [canonical, *names]:
            index.setdefault(header_key(name), canonical)
    return index


def matched_fields(row: list[str], synonyms: Synonyms) -> set[str]:
    index = synonym_index(synonyms)
    return {index[key] for key in map(header_key, row) if key in index}


def find_header(
    rows: list[list[str]], synonyms: Synonyms, required: Iterable[str], *, limit: int = HEAD_ROWS
) -> int | None:
    """Position of the header row: the first row (within ``limit``) naming every required
    field and the most fields in all; None when no row names every required field."""
    index = synonym_index(synonyms)
    required = set(required)
    best, best_score = None, 0
    for position, row in enumerate(rows[:limit]):
        found = {index[key] for key in map(header_key, row) if key in index}
        if required <= found and len(found) > best_score:
            best, best_score = position, len(found)
    return best


def header_score(rows: list[list[str]], synonyms: Synonyms, required: Iterable[str]) -> tuple[int | None, int]:
    position = find_header(rows, synonyms, required)
    return position, (len(matched_fields(rows[position], synonyms)) if position is not None else 0)


@dataclass
class ColumnMap:
    """Where each canonical field is: ``columns`` for one-column fields, ``multi`` for fields
    spread over several columns (e.g. address lines), in file order."""

    columns: dict[str, int] = field(default_factory=dict)
    multi: dict[str, list[int]] = field(default_factory=dict)
    unmapped: list[int] = field(default_factory=list)
    missing_from_profile: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[int]] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.columns or name in self.multi


def map_columns(
    header: list[str],
    synonyms: Synonyms,
    profile: Mapping[str, str | list[str]] | None = None,
    *,
    multi: Iterable[str] = (),
) -> ColumnMap:
    """Name the columns of ``header``: the profile's names first, then synonyms.

    A field in ``multi`` collects every column that matches it (in file
    order); other fields take the first matching column, later ones stay
    unmapped. Profile names not found in the header are reported in
    ``missing_from_profile``.
    """
    multi = set(multi)
    keys = [header_key(h) for h in header]
    result = ColumnMap()
    taken: set[int] = set()
    for canonical, names in (profile or {}).items():
        wanted = [names] if isinstance(names, str) else list(names)
        for name in wanted:
            hits = [i for i, key in enumerate(keys) if key == header_key(name) and i not in taken]
            if not hits:
                result.missing_from_profile[canonical] = name
                continue
            taken.add(hits[0])
            if canonical in multi:
                result.multi.setdefault(canonical, []).append(hits[0])
            else:
                result.columns[canonical] = hits[0]
    index = synonym_index(synonyms)
    profiled = set(profile or {})
    for position, key in enumerate(keys):
        canonical = index.get(key)
        if position in taken or not key:
            continue
        if canonical is None or canonical in profiled:
            result.unmapped.append(position)
        elif canonical in multi:
            result.multi.setdefault(canonical, []).append(position)
        elif canonical not in result.columns:
            result.columns[canonical] = position
        else:
            result.ambiguous.setdefault(canonical, [result.columns[canonical]]).append(position)
            result.unmapped.append(position)
    for canonical, positions in result.multi.items():
        positions.sort()
    return result


def refuse_ambiguous(
    log: ProblemLog, table: Table, columns: ColumnMap, *, prefer: Mapping[str, str] | None = None
) -> None:
    """Two columns that could each be one field are refused, naming both, never guessed between.

    ``prefer`` maps a field to a word (e.g. local authority -> "code"): when
    exactly one of the candidates' headers has it, that one is used.
    """
    for canonical, positions in columns.ambiguous.items():
        word = (prefer or {}).get(canonical)
        if word:
            marked = [p for p in positions if word in table.header[p].lower()]
            if len(marked) == 1:
                columns.columns[canonical] = marked[0]
                continue
        named = " and ".join(f"'{table.column_name(p)}' (column {column_letter(p)})" for p in positions)
        log.refuse(
            f"the header row (row {table.header_row}) has {len(positions)} columns that could be the "
            f"{field_label(canonical)}: {named}. Remove or rename the one that is not, or name the right one "
            "in a mapping profile (--profile)",
            row=table.header_row,
            column=table.column_name(positions[1]),
            code="ambiguous_column",
        )


def field_label(canonical: str) -> str:
    return canonical.replace("_", " ")


def describe_accepted(synonyms: Synonyms, fields: Iterable[str]) -> str:
    return "; ".join(f"{field_label(f)}: " + ", ".join(f"'{n}'" for n in synonyms[f]) for f in fields)


def missing_columns_problem(sheet: RawSheet, synonyms: Synonyms, required: Iterable[str]) -> Problem:
    """Why no header row was found, with the columns found and the names that would be accepted."""
    required = list(required)
    head = sheet.head
    scored = [(len(matched_fields(row, synonyms)), sum(1 for c in row if c), -i) for i, row in enumerate(head)]
    if not scored or max(scored)[1] == 0:
        return Problem("the sheet is empty: there is no data to read", sheet.file, sheet.name, code="empty")
    _, _, minus_i = max(scored)
    row = head[-minus_i]
    found = matched_fields(row, synonyms)
    missing = [f for f in required if f not in found]
    columns = ", ".join(f"'{c}'" for c in row if c)
    return Problem(
        f"no header row with a column for {', '.join(field_label(f) for f in missing)} was found in the first "
        f"{HEAD_ROWS} rows. The columns found (row {-minus_i + 1}) are: {columns}. The names accepted are "
        f"{describe_accepted(synonyms, missing)}. If your columns have other names, name them in a mapping "
        "profile (--profile).",
        sheet.file,
        sheet.name,
        code="missing_column",
    )


def choose_sheet_for(
    sheets: list[RawSheet], synonyms: Synonyms, required: Iterable[str], profile
) -> tuple[RawSheet, int]:
    """:func:`choose_sheet` with a mapping profile's column names and header row; when no header
    is found, the refusal says which names the profile gave."""
    try:
        return choose_sheet(sheets, with_profile(synonyms, profile.columns), required, header_row=profile.header_row)
    except InputRefused as refused:
        if not profile.columns or all(p.code != "missing_column" for p in refused.problems):
            raise
        named = ", ".join(f"'{n}' for {field_label(f)}" for f, n in profile.columns.items())
        first = Problem(
            f"the profile {profile.source} names columns {named}, but no row in the first {HEAD_ROWS} rows has them",
            sheets[0].file,
            code="missing_column",
        )
        raise InputRefused([first, *refused.problems]) from None


def choose_sheet(
    sheets: list[RawSheet], synonyms: Synonyms, required: Iterable[str], *, header_row: int | None = None
) -> tuple[RawSheet, int]:
    """The sheet holding the data and the position of its header row.

    With one sheet (or one named by the caller, see :func:`read_sheets`) its
    header is found or the file refused. With several, the one visible sheet
    whose header names the needed fields and more is the data; two such
    sheets (or a tie) are refused, naming them and asking for ``--sheet``. ``header_row`` (1-based, as in Excel) skips detection.
    """
    required = list(required)
    if header_row is not None:
        chosen = sheets[0] if len(sheets) == 1 else _only_matching(sheets, synonyms, required)
        if header_row > len(chosen.head):
            raise InputRefused(
                [
                    Problem(
                        f"the header row {header_row} given in the profile is below the first "
                        f"{len(chosen.head)} rows of the sheet",
                        chosen.file,
                        chosen.name,
                        code="header",
                    )
                ]
            )
        return chosen, header_row - 1
    if len(sheets) == 1:
        position = find_header(sheets[0].head, synonyms, required)
        if position is None:
            raise InputRefused([missing_columns_problem(sheets[0], synonyms, required)])
        return sheets[0], position
    return _only_matching(sheets, synonyms, required, with_position=True)


def _only_matching(sheets: list[RawSheet], synonyms: Synonyms, required: list[str], *, with_position: bool = False):
    candidates = [s for s in sheets if s.visible] or sheets
    scored = [(s, *header_score(s.head, synonyms, required)) for s in candidates]
    scored = [(s, p, score) for s, p, score in scored if p is not None]
    file = sheets[0].file
    if not scored:
        listed = ", ".join(f"'{s.name}'" for s in sheets)
        reasons = [missing_columns_problem(s, synonyms, required) for s in candidates]
        raise InputRefused(
            [
                Problem(
                    f"none of the sheets ({listed}) has the columns needed; name the sheet with "
                    "--sheet or use a mapping profile",
                    file,
                    code="missing_column",
                ),
                *reasons,
            ]
        )
    best = max(score for _, _, score in scored)
    winners = [(s, p) for s, p, score in scored if score == best]
    # Two sheets that each hold the needed columns and more are two data sheets: which is meant is not guessed.
    data_like = [(s, p) for s, p, score in scored if score > len(required)]
    if len(data_like) > 1:
        winners = data_like
    if len(winners) > 1:
        names = ", ".join(f"'{s.name}'" for s, _ in winners)
        raise InputRefused(
            [
                Problem(
                    f"the workbook has {len(winners)} sheets that look like data: {names}; name one with --sheet",
                    file,
                    code="sheet",
                )
            ]
        )
    sheet, position = winners[0]
    return (sheet, position) if with_position else sheet


# --- rows -----------------------------------------------------------------------------------------


def non_blank(table: Table) -> pd.Series:
    """True for rows with at least one non-empty cell."""
    if table.cells.empty:
        return pd.Series(False, index=table.cells.index)
    return table.cells.ne("").any(axis=1)


@dataclass
class TotalRow:
    """A "Total"/"Subtotal"/"Grand total" row: where it is, what it says, and the data rows it sums.

    ``covers`` are the row numbers of the block it closes (the data rows since the
    previous total row); ``overall`` is True when it sums the whole sheet (a grand
    total, a total with no data rows of its own, e.g. just under the header or
    after the subtotals).
    """

    row: int
    label: str
    cells: pd.Series
    covers: pd.Index
    overall: bool


@dataclass
class Footer:
    """What :func:`cut_footer` took out: every total row (the first one also as ``total_row`` and
    ``total_cells``), and how many rows were dropped (totals, notes, blanks)."""

    total_row: int | None = None
    total_cells: pd.Series | None = None
    dropped: int = 0
    totals: list[TotalRow] = field(default_factory=list)


def total_rows(cells: pd.DataFrame, label_columns: Iterable[int]) -> pd.Series:
    """True for rows whose label reads "Total", "Subtotal", "Grand total", "Leeds Total"..."""
    is_total = pd.Series(False, index=cells.index)
    for position in [p for p in dict.fromkeys(label_columns) if p in cells.columns]:
        is_total |= per_distinct(cells[position], lambda labels: labels.str.lower().str.strip().str.match(_TOTAL_LABEL))
    return is_total


def cut_footer(table: Table, label_columns: Iterable[int] = (0,)) -> tuple[Table, Footer]:
    """Take out every total row (each ends a block, never the sheet), note lines at the end and blank rows.

    A row is a total row when one of ``label_columns`` reads "Total",
    "Subtotal", "Grand total", "Leeds Total"...: it may stand just under the
    header, between blocks (one per LA) or at the bottom; the rows on both
    sides of it are data. Trailing rows starting with "Note", "Source", "*",
    "[" ... are notes.
    """
    cells = table.cells
    footer = Footer()
    labels = list(label_columns)
    is_total = total_rows(cells, labels) if len(cells) else pd.Series(False, index=cells.index)
    filled = cells.ne("")
    keep = filled.any(axis=1) & ~is_total
    if len(cells):
        lone = filled.sum(axis=1).eq(1)
        if lone.any():
            single = cells[lone]
            first = (
                pd.Series(
                    single.to_numpy(dtype=object)[np.arange(len(single)), filled[lone].to_numpy().argmax(axis=1)],
                    index=single.index,
                )
                .astype(str)
                .str.lower()
            )
            keep.loc[first.index[first.str.match(_NOTE_LABEL) | first.str.match(_HEADING)]] = False
    tail = cells.iloc[-200:]
    if len(tail):
        tail_filled = filled.loc[tail.index]
        values = tail.to_numpy(dtype=object)
        first_text = (
            pd.Series(values[np.arange(len(tail)), tail_filled.to_numpy().argmax(axis=1)], index=tail.index)
            .astype(str)
            .str.lower()
        )
        is_note = first_text.str.match(_NOTE_LABEL) | _sentence(tail.astype(str), tail_filled)
        trailing = (is_note | ~keep.loc[tail.index])[::-1].cumprod()[::-1].astype(bool)
        keep.loc[trailing[trailing].index] = False
    data_rows = cells.index[keep]
    previous = None
    for row in cells.index[is_total]:
        if not filled.loc[row].any():
            continue
        above = data_rows[data_rows < row]
        covers = above[above > previous] if previous is not None else above
        label = next((cells.at[row, p] for p in labels if p in cells.columns and cells.at[row, p]), "")
        overall = bool(re.match(r"^(grand|overall)\b", label.lower())) or covers.empty
        footer.totals.append(TotalRow(int(row), label, cells.loc[row], data_rows if overall else covers, overall))
        previous = row
    if footer.totals:
        footer.total_row = footer.totals[0].row
        footer.total_cells = footer.totals[0].cells
    footer.dropped = int(len(table.cells) - keep.sum())
    return Table(table.file, table.sheet, table.header, table.header_row, cells[keep]), footer


_POSTCODE_LIKE = r"(?i)\b[a-z]{1,2}\d[a-z\d]?\s*\d(?:[a-z]{2})?\b"


def _sentence(tail: pd.DataFrame, filled: pd.DataFrame) -> pd.Series:
    """A footer sentence that the CSV's commas split over several cells: below a blank line, words, and no
    cell a number or a postcode (so a data row, even a faulty one, is never taken for a note)."""
    numeric = tail.apply(lambda column: column.str.fullmatch(r"[\d.,\s]+")).fillna(False) & filled
    postcode = tail.apply(lambda column: column.str.contains(_POSTCODE_LIKE)).fillna(False)
    words = tail.apply(lambda column: column.str.count(r"[A-Za-z]{2,}")).sum(axis=1)
    below_gap = (~filled.any(axis=1)).cummax()
    return ~numeric.any(axis=1) & ~postcode.any(axis=1) & filled.any(axis=1) & words.ge(6) & below_gap


def block_label(label: str) -> str | None:
    """ "Leeds Total" -> "Leeds": the name a pivot-style total row gives its block (None for a bare "Total")."""
    name = re.sub(r"\s*\b(grand\s+|sub\s*-?\s*)?totals?\s*$", "", str(label), flags=re.I).strip(" :-")
    return name or None


def stated_totals(
    log: ProblemLog,
    footer: Footer,
    counts: Mapping[int, tuple[str, pd.Series, pd.Series]],
    *,
    low: float = 0.0,
    high: float = 0.0,
    what: str = "people",
) -> list[dict]:
    """Check each total row against the loaded rows it sums; refuse any that disagrees.

    ``counts`` maps a column position to (its header as written, the loaded
    values by row number, the number of suppressed counts by row number); a
    suppressed count may be anything between ``low`` and ``high``. A plain
    "Total" that does not match its block but matches every row above it is
    a running total of the sheet. Returns one dict per total row and column
    stated (row, label, column, stated, loaded, rows, overall).
    """
    found = []
    for total in footer.totals:
        for position, (name, values, suppressed) in counts.items():
            cell = total.cells.get(position, "")
            stated = parse_counts(pd.Series([cell], dtype=object), suppressed_value=0.0)
            if stated.problem.notna().any() or stated.blank.any() or stated.suppressed.any():
                continue
            figure = float(stated.value.iloc[0])
            covers, overall = total.covers, total.overall
            known, n = _sums(values, suppressed, covers)
            if not _between(figure, known, n, low, high) and not overall:
                everything = values.index[values.index < total.row]
                k2, n2 = _sums(values, suppressed, everything)
                if _between(figure, k2, n2, low, high):
                    covers, overall, known, n = everything, True, k2, n2
            rows = _row_ranges(covers)
            if not _between(figure, known, n, low, high):
                between = (
                    f" (with {n} suppressed counts, between {known + n * low:g} and {known + n * high:g})" if n else ""
                )
                log.refuse(
                    f"the '{total.label}' row says {figure:g}{' ' + what if what else ''} in the '{name}' column, but the rows it "
                    f"sums ({rows}) add up to {known:g}{between} as loaded; the file is not loaded, because a "
                    "figure would be wrong. Check the rows and the total, or whether rows are missing",
                    row=total.row,
                    column=name,
                    code="total_mismatch",
                )
            found.append(
                {
                    "row": total.row,
                    "label": total.label,
                    "column": name,
                    "stated": figure,
                    "loaded": known + n * (low + high) / 2 if n else known,
                    "rows": rows,
                    "overall": overall,
                }
            )
    return found


def stated_overall(found: list[dict], column: str) -> float | None:
    """The file's own total of ``column``: a total row over the whole sheet, else the sum of its block totals."""
    mine = [f for f in found if f["column"] == column]
    overall = [f["stated"] for f in mine if f["overall"]]
    if overall:
        return overall[-1]
    return float(sum(f["stated"] for f in mine)) if mine else None


def _sums(values: pd.Series, suppressed: pd.Series, rows: pd.Index) -> tuple[float, int]:
    rows = values.index.intersection(rows)
    return float(values.loc[rows].fillna(0).sum()), int(suppressed.loc[rows].sum())


def _between(stated: float, known: float, n: int, low: float, high: float) -> bool:
    return known + n * low - 1e-9 <= stated <= known + n * high + 1e-9


def _row_ranges(rows: Iterable[int], limit: int = 12) -> str:
    """ "rows 5-12, 14" for a list of row numbers (after ``limit`` runs, "... and 40 more rows")."""
    rows = sorted(int(r) for r in rows)
    if not rows:
        return "no rows"
    spans, start, end = [], rows[0], rows[0]
    for row in rows[1:]:
        if row == end + 1:
            end = row
            continue
        spans.append((start, end))
        start = end = row
    spans.append((start, end))
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:limit])
    if len(spans) > limit:
        text += f" and {sum(b - a + 1 for a, b in spans[limit:])} more rows"
    return f"row {text}" if len(rows) == 1 else f"rows {text}"


row_ranges = _row_ranges


def clean_text(values: pd.Series) -> pd.Series:
    """Strings with NBSP turned into spaces, spaces collapsed, blanks as <NA>."""
    return per_distinct(values, _clean_text)


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.replace("\u00a0", " ", regex=False).str.strip()
    text = text.str.replace(r"\s{2,}", " ", regex=True)
    return text.mask(text.eq(""))


@dataclass
class Counts:
    """Parsed count cells, aligned with the input: ``value`` (float; <NA> when bad or blank),
    ``suppressed``, ``blank``, and ``problem`` (a reason in words, <NA> when fine)."""

    value: pd.Series
    suppressed: pd.Series
    blank: pd.Series
    problem: pd.Series


def parse_counts(values: pd.Series, *, suppressed_value: float) -> Counts:
    """Read counts as whole, non-negative numbers; see :func:`_parse_counts`."""
    return per_distinct(values, lambda distinct: _parse_counts(distinct, suppressed_value=suppressed_value))


def _parse_counts(values: pd.Series, *, suppressed_value: float) -> Counts:
    """Read counts as whole, non-negative numbers ("12", "12.0", " 12 ", "1,234").

    Suppression markers (:data:`SUPPRESSED_MARKERS`, "<5", "< 3", "<=4") are
    never zero: they get ``suppressed_value`` and ``suppressed=True``.
    Blank cells are flagged in ``blank`` (with no problem): the caller decides
    whether blank means zero or is an error.
    """
    text = values.astype("string").str.replace("\u00a0", " ", regex=False).str.strip().fillna("")
    lower = text.str.lower()
    blank = lower.eq("")
    suppressed = lower.isin(SUPPRESSED_MARKERS) | lower.str.fullmatch(_SUPPRESSED_LESS_THAN)
    thousands = text.str.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?")
    cleaned = text.where(~thousands, text.str.replace(",", "", regex=False))
    number = pd.to_numeric(cleaned.where(~(blank | suppressed)).astype(object), errors="coerce").astype("float64")
    problem = pd.Series(pd.NA, index=values.index, dtype="string")
    unread = number.isna() & ~blank & ~suppressed
    error = lower.isin(EXCEL_ERRORS)
    finite = np.isfinite(number.fillna(0))
    problem[unread | ~finite] = "'" + text[unread | ~finite] + "' is not a number"
    problem[error] = (
        "the cell holds the Excel error " + text[error] + " (a formula that could not be worked out), "
        "not a number: correct the formula or type the figure"
    )
    negative = number.lt(0) & finite
    problem[negative] = "'" + text[negative] + "' is negative; a count cannot be below zero"
    fraction = number.notna() & finite & ~negative & number.mod(1).ne(0)
    problem[fraction] = "'" + text[fraction] + "' is not a whole number of people"
    value = number.where(problem.isna())
    value[suppressed] = suppressed_value
    return Counts(value, suppressed.astype(bool), blank.astype(bool), problem)


def row_list(rows: Iterable[int], first: int = 10) -> str:
    """ "rows 7, 9 and 15" / "rows 7, 9, ... and 12 more" for a warning message."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:first])
    if len(rows) == 1:
        return f"row {shown}"
    if len(rows) <= first:
        head, _, last = shown.rpartition(", ")
        return f"rows {head} and {last}"
    return f"rows {shown} and {len(rows) - first} more"


def refuse_rows(
    log: ProblemLog, reasons: pd.Series, column: str | None, *, code: str = "invalid", limit: int = MAX_ROW_PROBLEMS
) -> None:
    """One refusal per row that has a reason (index = row number); beyond ``limit`` a summary."""
    bad = reasons.dropna()
    for row, reason in bad.iloc[:limit].items():
        log.refuse(str(reason), row=int(row), column=column, code=code)
    if len(bad) > limit:
        log.refuse(
            f"{len(bad) - limit} more rows have the same kind of problem ({row_list(bad.index[limit:], first=5)})",
            column=column,
            code=code,
        )


def warn_rows(
    log: ProblemLog, reasons: pd.Series, column: str | None, *, code: str = "warning", limit: int = MAX_ROW_PROBLEMS
) -> None:
    """Like :func:`refuse_rows`, for problems that do not stop the load."""
    bad = reasons.dropna()
    for row, reason in bad.iloc[:limit].items():
        log.warn(str(reason), row=int(row), column=column, code=code)
    if len(bad) > limit:
        log.warn(
            f"{len(bad) - limit} more rows have the same kind of problem ({row_list(bad.index[limit:], first=5)})",
            column=column,
            code=code,
        )
