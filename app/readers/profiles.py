"""Mapping profiles: a small TOML or YAML file naming the columns of a layout the synonyms miss.

Example (TOML)::

    [columns]
    postcode_sector = "Area"
    people = "Headcount"
    address = ["Flat/House", "Street", "Town"]   # several columns where a field allows it

    [options]
    sheet = "Data"
    header_row = 5        # the row number the officer sees in Excel
    month = "2025-03"

The same keys in YAML (``columns:`` / ``options:``) work too. A column named
in a profile beats every synonym. Each reader says which fields and options
it accepts; any other key is refused, naming the profile file, so that a
typing mistake never passes silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app.problems import InputRefused, Problem

#: Options every reader understands.
COMMON_OPTIONS = ("sheet", "header_row")


@dataclass(frozen=True)
class Profile:
    columns: dict[str, str | list[str]] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)
    source: str = "the profile"

    @property
    def sheet(self) -> str | None:
        value = self.options.get("sheet")
        return None if value is None else str(value)

    @property
    def header_row(self) -> int | None:
        value = self.options.get("header_row")
        return None if value is None else int(value)


def _parse(path: Path) -> dict:
    raw = path.read_bytes()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(raw.decode("utf-8-sig"))
    else:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    return data or {}


def load_profile(
    profile: Path | str | dict | Profile | None,
    *,
    fields: Iterable[str],
    options: Iterable[str] = (),
    multi: Iterable[str] = (),
) -> Profile | None:
    """Read and check a profile for one reader.

    ``fields`` are the canonical columns the reader knows, ``options`` its
    extra options (on top of :data:`COMMON_OPTIONS`), ``multi`` the fields
    that may name a list of columns. Raises :class:`InputRefused` naming the
    profile file for anything it cannot use.
    """
    if profile is None or isinstance(profile, Profile):
        return profile
    source = "the profile" if isinstance(profile, dict) else Path(profile).name
    problems: list[Problem] = []

    def refuse(message: str) -> None:
        problems.append(Problem(message, file=source, code="profile"))

    if isinstance(profile, dict):
        data = profile
    else:
        path = Path(profile)
        try:
            data = _parse(path)
        except FileNotFoundError:
            raise InputRefused([Problem("the mapping profile file does not exist", file=source, code="profile")])
        except Exception as error:  # tomllib/yaml syntax errors carry a line number in their text
            raise InputRefused([Problem(f"the mapping profile cannot be read: {error}", file=source, code="profile")])
    if not isinstance(data, dict):
        raise InputRefused(
            [Problem("the mapping profile must have [columns] and/or [options] sections", file=source, code="profile")]
        )
    known_fields, multi_fields = set(fields), set(multi)
    known_options = set(COMMON_OPTIONS) | set(options)
    for key in data:
        if key not in ("columns", "options"):
            refuse(f"unknown section '{key}' (a profile has only [columns] and [options])")
    columns = data.get("columns") or {}
    opts = data.get("options") or {}
    if not isinstance(columns, dict) or not isinstance(opts, dict):
        refuse("[columns] and [options] must be tables of names and values")
        raise InputRefused(problems)
    for name, value in columns.items():
        if name not in known_fields:
            refuse(
                f"unknown column name '{name}' in [columns]; the names this file type accepts are: "
                + ", ".join(sorted(known_fields))
            )
        elif isinstance(value, list):
            if name not in multi_fields:
                refuse(f"'{name}' must name one column, not a list")
            elif not value or not all(isinstance(v, str) and v.strip() for v in value):
                refuse(f"'{name}' must be a list of column names")
        elif not isinstance(value, str) or not value.strip():
            refuse(f"'{name}' must name a column (a header as written in the file)")
    for name, value in opts.items():
        if name not in known_options:
            refuse(f"unknown option '{name}' in [options]; the options are: " + ", ".join(sorted(known_options)))
    header_row = opts.get("header_row")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
        refuse(f"header_row must be a row number (1 or more), not '{header_row}'")
    if problems:
        raise InputRefused(problems)
    return Profile(dict(columns), dict(opts), source)
