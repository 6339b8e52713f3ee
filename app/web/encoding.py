"""Dash's responses encoded by orjson in one pass, components included.

Dash encodes every response with plotly's ``to_json_plotly``. Its orjson engine first tries ``orjson.dumps``
as is, which fails (TypeError) as soon as the value holds a Dash component, i.e. every page layout; it then
walks the whole value in Python before encoding. A layout holding a national ward map (8,000 areas of
geometry) and its table spent a second in that walk. Here orjson meets each component through its
``default`` hook (the component's own ``to_plotly_json``) and encodes the rest in C. Anything else orjson
cannot encode (``pd.NA``, ``Decimal``...) sends the value to plotly's encoder as before, so the text is the
same either way.
"""

from __future__ import annotations

import orjson
import plotly.io.json as plotly_json
from plotly.io import _json as plotly_json_engine

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_plotly_to_json = plotly_json_engine.to_json_plotly


def _component(value):
    to_plotly_json = getattr(value, "to_plotly_json", None)
    if to_plotly_json is None:
        raise TypeError(f"not a component: {type(value).__name__}")
    return to_plotly_json()


def to_json_plotly(value, pretty: bool = False, engine: str | None = None) -> str:
    """What plotly's ``to_json_plotly`` returns, without its Python walk when orjson can take the value."""
    if pretty or (engine or plotly_json.config.default_engine) not in ("auto", "orjson"):
        return _plotly_to_json(value, pretty=pretty, engine=engine)
    try:
        text = orjson.dumps(value, default=_component, option=OPTIONS).decode("utf8")
    except TypeError:
        return _plotly_to_json(value, pretty=pretty, engine=engine)
    return plotly_json_engine._safe(text, plotly_json_engine._swap_orjson)


def install() -> None:
    """Dash looks ``to_json_plotly`` up in ``plotly.io.json`` on every response: point it here."""
    plotly_json.to_json_plotly = to_json_plotly
