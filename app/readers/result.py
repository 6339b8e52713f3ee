"""What every reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from app.problems import Problem


@dataclass
class ReadResult:
    """A file read whole: the canonical table, the warnings to load with it, and what was detected
    (``meta``: e.g. month, sheet, header row, layout, encoding)."""

    table: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
