"""Months (``YYYY-MM``) and calendar quarters (``YYYYQn``): the one home of their arithmetic and their words.

Reading periods out of files (financial-year quarters, "Mar-25") is :mod:`app.readers.periods`; everything
after that (which quarter a month is in, the quarter before, its months, how a month reads) is here.
"""

from __future__ import annotations

import re
from datetime import date

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_QUARTER_TEXT = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.I)


def parse_quarter(text: str) -> str:
    """``2025-Q2``, ``2025Q2`` or ``2025 q2`` -> ``2025Q2``; ValueError naming the form for anything else."""
    found = _QUARTER_TEXT.match(str(text or ""))
    if not found:
        raise ValueError(f"'{text}' is not a quarter in the form YYYY-Qn (e.g. 2025-Q2)")
    return f"{found.group(1)}Q{found.group(2)}"


def _split_quarter(quarter: str) -> tuple[int, int]:
    return int(quarter[:4]), int(quarter[-1])


def quarter_of(month: str) -> str:
    """``2025-03`` -> ``2025Q1``."""
    year, mon = month.split("-")[:2]
    return f"{year}Q{(int(mon) - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    year, q = _split_quarter(quarter)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_months(quarter: str) -> list[str]:
    """``2025Q2`` -> ``["2025-04", "2025-05", "2025-06"]``."""
    year, q = _split_quarter(quarter)
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def quarter_end(quarter: str) -> str:
    """The quarter's last month: a provider's list is as at the quarter end."""
    return quarter_months(quarter)[-1]


def month_words(month: str) -> str:
    """``2025-06`` -> ``June 2025``."""
    year, mon = month.split("-")[:2]
    return date(int(year), int(mon), 1).strftime("%B %Y")


def month_label(month: str) -> str:
    """``2025-06`` -> ``Jun 2025`` (slider marks, axes)."""
    year, mon = month.split("-")[:2]
    return date(int(year), int(mon), 1).strftime("%b %Y")
