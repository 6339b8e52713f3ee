"""Region overview (partnership managers)."""
from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, path="/", name="Region overview", order=0, title="Region overview - Dispersal Monitor")


def layout(**_query) -> html.Div:
    return html.Div([html.H1("Region overview")])
