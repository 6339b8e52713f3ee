"""Months and quarters as people write them in titles, cells and file names.

A month is returned as ``YYYY-MM``; a quarter as ``YYYYQn`` in *calendar*
quarters (``2025Q2`` = April to June 2025). Providers often write financial
year quarters ("Q1 2025/26"): the UK financial year starts in April, so
Q1 2025/26 is April-June 2025 = ``2025Q2`` and Q4 2025/26 is ``2026Q1``.
Dates are read day first, as in the UK (``31/03/2025``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from app.periods import quarter_of

_MONTH_NAMES = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_YEAR = r"((?:19|20)\d{2})"

#: (pattern, how to read (year, month) from its groups); applied in order, each match blanked out.
_MONTH_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(rf"(?<!\d){_YEAR}[-/.](\d{{1,2}})(?:[-/.](\d{{1,2}}))?(?![\d])"), lambda g: (int(g[0]), int(g[1]))),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)?\d{2})(?![\d])"), lambda g: (_year(g[2]), int(g[1]))),
    (
        re.compile(
            rf"(?<![a-z])(?:(\d{{1,2}})(?:st|nd|rd|th)?[\s\-]+(?:of\s+)?)?{_NAME}[\s\-,'/]*((?:19|20)?\d{{2}})(?![\d])"
        ),
        lambda g: (_year(g[2]), _MONTH_NAMES[g[1][:3]]),
    ),
    (re.compile(rf"(?<!\d){_YEAR}(0[1-9]|1[0-2])(?:[0-3]\d)?(?!\d)"), lambda g: (int(g[0]), int(g[1]))),
    (re.compile(rf"(?<![\d/.-])(\d{{1,2}})[/-]{_YEAR}(?!\d)"), lambda g: (int(g[1]), int(g[0]))),
]

_FY_QUARTER = [
    re.compile(r"(?<![a-z0-9])q([1-4])[\s\-_,]*(?:fy\s*)?((?:19|20)?\d{2})\s*[/-]\s*(\d{2}|\d{4})(?!\d)"),
    re.compile(r"(?<!\d)(?:fy\s*)?((?:19|20)?\d{2})\s*[/-]\s*(\d{2}|\d{4})[\s\-_,]*q([1-4])(?!\d)"),
]
_CAL_QUARTER = [
    re.compile(rf"(?<!\d){_YEAR}[\s\-_]*q([1-4])(?!\d)"),
    re.compile(rf"(?<![a-z0-9])q([1-4])[\s\-_,]*{_YEAR}(?![\d/])"),
    re.compile(rf"(?<![a-z0-9])(first|second|third|fourth)\s+quarter\s+(?:of\s+)?{_YEAR}(?![\d/])"),
]
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_QUARTER_ENDING = re.compile(r"quarter\s+(?:ending|ended|end|to)\b(.*)")


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _clean(text: object) -> str:
    return re.sub(r"[_\u00a0]", " ", str(text)).lower()


def months_in(text: object) -> list[str]:
    """Every month (``YYYY-MM``) written in ``text``, in the order the patterns find them."""
    return [month for _, month in months_at(text)]


def months_at(text: object) -> list[tuple[int, str]]:
    """Every month written in ``text`` with where it starts, in order."""
    remaining = _clean(text)
    found: list[tuple[int, str]] = []
    for pattern, read in _MONTH_PATTERNS:
        for match in pattern.finditer(remaining):
            year, month = read(match.groups())
            if 1 <= month <= 12 and 1990 <= year <= 2100:
                found.append((match.start(), f"{year:04d}-{month:02d}"))
        remaining = pattern.sub(lambda m: " " * len(m.group(0)), remaining)
    return sorted(found)


#: Excel's day 0 (its serial numbers count days from here, 1900 leap-year bug included).
EXCEL_EPOCH = date(1899, 12, 30)


def excel_serial_date(text: object) -> date | None:
    """The date an Excel serial number stands for (``45747`` -> 31 March 2025), when it is one (1990-2100)."""
    match = re.fullmatch(r"\s*(\d{5})(?:\.0+|\.\d+)?\s*", str(text))
    if not match:
        return None
    serial = int(match.group(1))
    if not 32874 <= serial <= 73415:
        return None
    return EXCEL_EPOCH + timedelta(days=serial)


def parse_month(text: object) -> str | None:
    """The one month a cell or argument names (``2025-03``, ``Mar-25``, ``March 2025``, ``31/03/2025``, an
    Excel date cell or its serial number ``45747``), else None."""
    if isinstance(text, (datetime, date)):
        return f"{text.year:04d}-{text.month:02d}"
    serial = excel_serial_date(text)
    if serial is not None:
        return f"{serial.year:04d}-{serial.month:02d}"
    months = set(months_in(text))
    return months.pop() if len(months) == 1 else None


quarter_of_month = quarter_of


def _fy_to_calendar(start_year: int, fq: int) -> str:
    return f"{start_year}Q{fq + 1}" if fq < 4 else f"{start_year + 1}Q1"


def quarters_in(text: object) -> list[str]:
    """Every quarter (``YYYYQn``, calendar) written in ``text``.

    Understands "Q1 2025/26" (financial year), "2025 Q2", "Q2 2025", "2025Q2",
    "second quarter of 2025" and "quarter ending 30 June 2025".
    """
    remaining = _clean(text)
    found: list[tuple[int, str]] = []

    def take(pattern: re.Pattern, read) -> None:
        nonlocal remaining
        for match in pattern.finditer(remaining):
            quarter = read(match.groups())
            if quarter:
                found.append((match.start(), quarter))
        remaining = pattern.sub(lambda m: " " * len(m.group(0)), remaining)

    def fy(first: str, second: str, q: str) -> str | None:
        start, end = _year(first), _year(second)
        if end % 100 != (start + 1) % 100:
            return None
        return _fy_to_calendar(start, int(q))

    take(_FY_QUARTER[0], lambda g: fy(g[1], g[2], g[0]))
    take(_FY_QUARTER[1], lambda g: fy(g[0], g[1], g[2]))
    take(_CAL_QUARTER[0], lambda g: f"{g[0]}Q{g[1]}")
    take(_CAL_QUARTER[1], lambda g: f"{g[1]}Q{g[0]}")
    take(_CAL_QUARTER[2], lambda g: f"{g[1]}Q{_ORDINAL[g[0]]}")
    ending = _QUARTER_ENDING.search(remaining)
    if ending:
        months = months_in(ending.group(1))
        if months:
            found.append((ending.start(), quarter_of_month(months[0])))
    return [quarter for _, quarter in sorted(found)]


def parse_quarter(text: object) -> str | None:
    """The one quarter an argument or cell names, else None."""
    quarters = set(quarters_in(text))
    return quarters.pop() if len(quarters) == 1 else None


def titled_and_named(
    log, titles: list[str], path, word: str, in_title, in_name, *, settled: str | None = None
) -> list[tuple[str, str, str]]:
    """The periods (months or quarters) that the title lines and the file name give, as (kind, where, period).

    Title lines naming different periods refuse the file: a report cannot be
    "as at" two dates, unless the user's own period (``settled``, from
    ``--month``/``--quarter``) is one of them. A file name naming several
    (e.g. a range) says nothing.
    """
    by_title: dict[str, str] = {}
    for line in titles:
        for period in in_title(line):
            by_title.setdefault(period, line)
    sources = []
    if len(by_title) > 1 and settled in by_title:
        sources.append(("title", f"the title line '{by_title[settled]}'", settled))
    elif len(by_title) > 1:
        listed = "; ".join(f"'{line}' ({period})" for period, line in by_title.items())
        log.refuse(
            f"the title lines above the header name different {word}s: {listed}. Give the right one with --{word}",
            code=word,
        )
    elif by_title:
        ((period, line),) = by_title.items()
        sources.append(("title", f"the title line '{line}'", period))
    named = list(dict.fromkeys(in_name(path.stem)))
    if len(named) == 1:
        sources.append(("file name", f"the file name '{path.name}'", named[0]))
    return sources
