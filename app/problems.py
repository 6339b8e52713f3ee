"""What a reader found wrong with a file, in words an officer can act on.

Two kinds: a *refusal* stops the whole file (nothing is loaded), a *warning*
is loaded as a data-quality record and shown in the dashboard. Row numbers
are the ones the officer sees in Excel or a text editor (1-based, counting
banner lines and the header).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

REFUSE = "refuse"
WARN = "warn"


@dataclass(frozen=True)
class Problem:
    message: str
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    code: str = "invalid"
    severity: str = REFUSE

    def __post_init__(self) -> None:
        # Tables carry missing values as pandas NA/NaN; a problem keeps plain None.
        for name in ("sheet", "column"):
            if not isinstance(getattr(self, name), str):
                object.__setattr__(self, name, None)
        row = self.row
        object.__setattr__(self, "row", int(row) if isinstance(row, (int, float)) and row == row else None)

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return asdict(self)


class InputRefused(Exception):
    """The file cannot be loaded as a whole; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ProblemLog:
    """Collects problems while reading one file, so that all are reported at once."""

    file: str
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def for_path(cls, path: str | Path, sheet: str | None = None) -> ProblemLog:
        return cls(Path(path).name, sheet)

    def refuse(self, message: str, *, row: int | None = None, column: str | None = None, code: str = "invalid") -> None:
        self.problems.append(Problem(message, self.file, self.sheet, row, column, code, REFUSE))

    def warn(self, message: str, *, row: int | None = None, column: str | None = None, code: str = "warning") -> None:
        self.problems.append(Problem(message, self.file, self.sheet, row, column, code, WARN))

    @property
    def refusals(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == REFUSE]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARN]

    def raise_if_refused(self) -> None:
        if self.refusals:
            raise InputRefused(self.refusals)
