"""The canonical tables that readers produce and the domain core consumes.

Every reader, whatever the layout of the file it was given, returns one of
these; the store saves them as they are and the core computes from them.
``source_row`` and ``sheet`` keep where each record came from, so that any
later problem can still name the row an officer sees.
"""

from __future__ import annotations

import pandas as pd

#: Home Office monthly restricted data, one row per group of people.
HOME_OFFICE_COLUMNS = {
    "month": "string",  # YYYY-MM
    "local_authority": "string",  # as written in the file (name or code), may be <NA>
    "postcode_sector": "string",  # canonical, e.g. "TS1 3"
    "people": "float64",  # count; the documented estimate when suppressed
    "suppressed": "bool",
    "people_as_written": "string",  # the raw cell when suppressed ("<5", "*", "c"...), else <NA>
    "support_type": "string",  # "Section 95" / "Section 4" / "Section 98" / as given
    "accommodation_type": "string",  # dispersal / initial / contingency / subsistence / other text, <NA> if absent
    "nationality": "string",
    "age_band": "string",
    "gender": "string",
    "household_type": "string",
    "uasc": "boolean",  # unaccompanied asylum-seeking child, <NA> when not given
    "source_row": "int64",
    "sheet": "string",
}

#: Provider quarterly property list, one row per property.
PROPERTY_COLUMNS = {
    "provider": "string",
    "quarter": "string",  # YYYYQn
    "property_ref": "string",  # provider's id, may be <NA>
    "property_key": "string",  # property_ref, else normalised address + postcode
    "address": "string",  # address lines joined with ", "
    "postcode": "string",  # canonical unit, <NA> when it could not be read
    "postcode_sector": "string",
    "bedspaces": "Int64",
    "occupied": "Float64",  # <NA> when the provider gave none
    "local_authority": "string",
    "property_type": "string",
    "status": "string",  # in use / void / proposed / handed back / as given
    "accommodation_type": "string",
    "date_in_use": "string",  # ISO date or <NA>
    "source_row": "int64",
    "sheet": "string",
}

#: Home Office published table Asy_D11 (public), one row per LA x type x quarter.
PUBLIC_STATS_COLUMNS = {
    "date": "string",  # ISO date, as at
    "year": "int64",
    "quarter": "int64",
    "support_type": "string",
    "region": "string",
    "local_authority": "string",
    "lad_code": "string",  # as published; pseudo-codes kept
    "accommodation_type": "string",  # canonical type (see config), else the text as published
    "accommodation_type_as_published": "string",
    "people": "int64",
}


def empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def conform(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Select, order and type the canonical columns; absent ones are filled with <NA>."""
    out = {}
    for name, dtype in columns.items():
        if name in frame:
            out[name] = frame[name].astype(dtype)
        else:
            out[name] = pd.Series(pd.NA if dtype != "bool" else False, index=frame.index).astype(dtype)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)
