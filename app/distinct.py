"""Transform a column through its distinct values only.

Input files repeat a few values down tens of thousands of rows (about 10,000
sectors, 20 nationalities, 6 age bands in a national month), so cleaning
each distinct value once and spreading the results back is what keeps
reading a file close to the cost of parsing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace

import numpy as np
import pandas as pd


def per_distinct(values: pd.Series, transform: Callable[[pd.Series], object]):
    """``transform(values)``, computed on the distinct values of ``values``.

    ``transform`` takes a Series and returns a Series, a tuple of Series or a
    dataclass of Series, each aligned with its input; the result has the same
    shape, aligned with ``values``. Missing values are passed through as one
    distinct value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) == len(values):
        return transform(values)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=values.dtype)
    result = transform(distinct)

    def spread(series: pd.Series) -> pd.Series:
        out = series.take(codes)
        out.index = values.index
        return out

    if isinstance(result, pd.Series):
        return spread(result)
    if isinstance(result, tuple):
        return tuple(spread(part) for part in result)
    if is_dataclass(result):
        return replace(result, **{f.name: spread(getattr(result, f.name)) for f in fields(result)})
    raise TypeError(f"per_distinct cannot spread a {type(result).__name__}")
